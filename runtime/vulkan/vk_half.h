/*===- vk_half.h - float32 <-> float16 for --fp16-storage models ---*- C -*-===*
 *
 * A model compiled with --fp16-storage keeps float32 tensors as float16 on
 * the device; its inputs and outputs stay float32 at the C API, so run
 * converts them while copying into and out of the staging buffer (no
 * allocation, no extra copy). Plain C11 bit manipulation: no _Float16, no
 * F16C, no libm, so the library still builds with -std=c11 anywhere.
 *===----------------------------------------------------------------------===*/
#ifndef KILN_VK_HALF_H
#define KILN_VK_HALF_H

#include <stddef.h>
#include <stdint.h>

/* IEEE binary16 from binary32, rounded to nearest even: beyond the largest
 * half (65504) is infinity, NaN stays NaN (quiet), tiny values become
 * subnormal halves or zero. */
uint16_t kiln_vk_half_from_float(float value);
float kiln_vk_float_from_half(uint16_t half);

/* `count` values; `dst` and `src` may be unaligned. */
void kiln_vk_f32_to_f16(void *dst, const void *src, size_t count);
void kiln_vk_f16_to_f32(void *dst, const void *src, size_t count);

#endif /* KILN_VK_HALF_H */
