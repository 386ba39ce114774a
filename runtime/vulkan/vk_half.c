/*===- vk_half.c - float32 <-> float16 for --fp16-storage models ---------===*/
#include "vk_half.h"

#include <string.h>

static uint32_t kiln_vk_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float kiln_vk_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

uint16_t kiln_vk_half_from_float(float value) {
  uint32_t x = kiln_vk_bits(value);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) /* NaN: keep the top payload bits, force quiet */
    return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) /* 65520 and up round to infinity (65504 is the largest half) */
    return (uint16_t)(sign | 0x7c00u);
  if (a < 0x38800000u) {
    /* Below 2^-14: a subnormal half. Adding 0.5f aligns the value so that
     * the float adder's own round-to-nearest-even drops exactly the bits a
     * half cannot keep; the half's bits are then the low bits left. */
    float aligned = kiln_vk_float(a) + 0.5f;
    return (uint16_t)(sign | (kiln_vk_bits(aligned) - 0x3f000000u));
  }
  /* Normal: rebias the exponent (127 -> 15) and round the 13 bits dropped
   * to nearest even; a carry into the exponent is the right result. */
  uint32_t odd = (a >> 13) & 1u;
  a += ((uint32_t)(15 - 127) << 23) + 0xfffu + odd;
  return (uint16_t)(sign | (a >> 13));
}

float kiln_vk_float_from_half(uint16_t half) {
  uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu;
  if (exponent == 0) { /* zero or subnormal: mantissa x 2^-24, exact in float */
    float magnitude = (float)mantissa * 5.9604644775390625e-8f;
    return kiln_vk_float(kiln_vk_bits(magnitude) | sign);
  }
  if (exponent == 31) /* infinity or NaN */
    return kiln_vk_float(sign | 0x7f800000u | (mantissa << 13));
  return kiln_vk_float(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

void kiln_vk_f32_to_f16(void *dst, const void *src, size_t count) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  for (size_t i = 0; i < count; ++i) {
    float f;
    memcpy(&f, s + 4 * i, 4);
    uint16_t h = kiln_vk_half_from_float(f);
    memcpy(d + 2 * i, &h, 2);
  }
}

void kiln_vk_f16_to_f32(void *dst, const void *src, size_t count) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  for (size_t i = 0; i < count; ++i) {
    uint16_t h;
    memcpy(&h, s + 2 * i, 2);
    float f = kiln_vk_float_from_half(h);
    memcpy(d + 4 * i, &f, 4);
  }
}
