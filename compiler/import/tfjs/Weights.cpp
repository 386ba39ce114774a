//===- Weights.cpp - a TF.js model's weight shards, decoded ---------------===//
#include "compiler/import/tfjs/Weights.h"

#include "compiler/support/Error.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>

namespace kiln::tfjs_import {

float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) { // inf or NaN
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) { // normal
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) { // zero
    bits = sign;
  } else { // subnormal half: a normal float
    float value = std::ldexp(static_cast<float>(mantissa), -24);
    std::memcpy(&bits, &value, sizeof bits);
    bits |= sign;
  }
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

int64_t storedElementSize(const WeightSpec &spec) {
  llvm::StringRef dtype =
      spec.quantization ? llvm::StringRef(spec.quantization->dtype) : llvm::StringRef(spec.dtype);
  if (dtype == "float32" || dtype == "int32")
    return 4;
  if (dtype == "bool" || dtype == "uint8")
    return 1;
  if (dtype == "uint16" || dtype == "float16")
    return 2;
  if (dtype == "complex64")
    return 8;
  return 0;
}

static llvm::Error checkSpec(const WeightSpec &spec) {
  std::string what = "weight '" + spec.name + "'";
  llvm::StringRef dtype = spec.dtype;
  if (dtype != "float32" && dtype != "int32" && dtype != "bool" && dtype != "string" &&
      dtype != "complex64")
    return makeError(what + " has unknown dtype '" + dtype +
                     "' (TF.js weights are float32, int32, bool, string or complex64)");
  if (!spec.quantization)
    return llvm::Error::success();
  const WeightQuantization &q = *spec.quantization;
  if (q.dtype != "uint8" && q.dtype != "uint16" && q.dtype != "float16")
    return makeError(what + " has unknown quantization dtype '" + q.dtype +
                     "' (expected uint8, uint16 or float16)");
  if (q.dtype == "float16" && dtype != "float32")
    return makeError(what + " is quantized to float16 but has dtype " + dtype +
                     " (float16 applies to float32 weights only)");
  if (q.dtype != "float16" && dtype != "float32" && dtype != "int32")
    return makeError(what + " is quantized to " + q.dtype + " but has dtype " + dtype);
  if (q.dtype != "float16" && (!q.scale || !q.min))
    return makeError(what + " is quantized to " + q.dtype + " but lacks its scale and min");
  if (q.dtype != "float16" && dtype == "int32") {
    // Every code's value, rounded, must be an int32: the range's two ends.
    double top = (q.dtype == "uint8" ? 255.0 : 65535.0) * *q.scale + *q.min;
    for (double end : {*q.min, top})
      if (!(std::floor(end + 0.5) >= INT32_MIN && std::floor(end + 0.5) <= INT32_MAX)) {
        char range[96];
        std::snprintf(range, sizeof range, "%.9g .. %.9g", *q.min, top);
        return makeError(what + " is int32 quantized to " + q.dtype + ", but its values (" + range +
                         ") leave int32");
      }
  }
  return llvm::Error::success();
}

template <typename T> static T load(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// q * scale + min for each stored code of type `Code`, as `Out` (TF.js
// computes in double; int32 weights round half up, like JS Math.round). One
// loop per code type: no per-element dispatch on the dtype.
template <typename Code, typename Out>
static std::vector<Out> dequantize(const char *data, int64_t n, double scale, double min) {
  std::vector<Out> out(n);
  for (int64_t i = 0; i < n; ++i) {
    double value = load<Code>(data + sizeof(Code) * i) * scale + min;
    if constexpr (std::is_same_v<Out, int64_t>)
      out[i] = static_cast<int64_t>(std::floor(value + 0.5));
    else
      out[i] = static_cast<Out>(value);
  }
  return out;
}

static Weight decode(const WeightSpec &spec, const char *data) {
  int64_t n = numElements(spec.shape);
  std::vector<int64_t> shape = spec.shape;
  if (spec.quantization) {
    const WeightQuantization &q = *spec.quantization;
    if (q.dtype == "float16") {
      std::vector<float> out(n);
      for (int64_t i = 0; i < n; ++i)
        out[i] = halfToFloat(load<uint16_t>(data + 2 * i));
      return {Literal::fromFloats(shape, std::move(out))};
    }
    bool u8 = q.dtype == "uint8";
    if (spec.dtype == "int32")
      return {Literal::fromInts(DType::I32, shape,
                                u8 ? dequantize<uint8_t, int64_t>(data, n, *q.scale, *q.min)
                                   : dequantize<uint16_t, int64_t>(data, n, *q.scale, *q.min))};
    // Stored into a Float32Array by TF.js.
    return {
        Literal::fromFloats(shape, u8 ? dequantize<uint8_t, float>(data, n, *q.scale, *q.min)
                                      : dequantize<uint16_t, float>(data, n, *q.scale, *q.min))};
  }
  if (spec.dtype == "float32") {
    std::vector<float> out(n);
    if (n) // an empty vector's data() may be null, which memcpy must not see
      std::memcpy(out.data(), data, n * sizeof(float));
    return {Literal::fromFloats(shape, std::move(out))};
  }
  std::vector<int64_t> out(n);
  if (spec.dtype == "int32") {
    for (int64_t i = 0; i < n; ++i)
      out[i] = load<int32_t>(data + 4 * i);
    return {Literal::fromInts(DType::I32, shape, std::move(out))};
  }
  for (int64_t i = 0; i < n; ++i)
    out[i] = data[i] != 0;
  return {Literal::fromInts(DType::Bool, shape, std::move(out))};
}

// The bytes of one group: its shards, concatenated.
static llvm::Expected<std::vector<char>> readGroup(const TfjsModel &model, size_t g) {
  std::vector<char> bytes;
  for (const std::string &path : model.weightGroups[g].paths) {
    llvm::SmallString<256> full(model.directory);
    llvm::sys::path::append(full, path);
    auto buffer = llvm::MemoryBuffer::getFile(full, /*IsText=*/false);
    if (!buffer)
      return makeError("weightsManifest[" + llvm::Twine(g) + "]: cannot read shard '" + path +
                       "' (" + full + "): " + buffer.getError().message());
    bytes.insert(bytes.end(), (*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  }
  return std::move(bytes);
}

llvm::Expected<llvm::StringMap<Weight>> loadWeights(const TfjsModel &model) {
  llvm::StringMap<Weight> weights;
  for (size_t g = 0; g < model.weightGroups.size(); ++g) {
    const WeightGroup &group = model.weightGroups[g];
    for (const WeightSpec &spec : group.weights)
      if (llvm::Error err = checkSpec(spec))
        return std::move(err);
    auto bytes = readGroup(model, g);
    if (!bytes)
      return bytes.takeError();
    std::string where = "weightsManifest[" + std::to_string(g) + "]";
    int64_t offset = 0, total = bytes->size();
    for (const WeightSpec &spec : group.weights) {
      Weight weight;
      int64_t size;
      if (spec.dtype == "string" && !spec.quantization) {
        // Each string is a uint32 byte length, then the bytes.
        size = 0;
        for (int64_t i = 0; i < numElements(spec.shape); ++i) {
          if (offset + size + 4 > total)
            break;
          size += 4 + load<uint32_t>(bytes->data() + offset + size);
        }
        weight.opaque = true;
      } else {
        std::optional<int64_t> count = import::checkedNumElements(spec.shape);
        if (!count || __builtin_mul_overflow(*count, storedElementSize(spec), &size))
          return makeError("weight '" + spec.name + "' has shape " + shapeString(spec.shape) +
                           ", more bytes than 64 bits can count");
      }
      if (size > total - offset)
        return makeError(where + " describes more bytes than its shards hold: weight '" +
                         spec.name + "' needs bytes " + llvm::Twine(offset) + ".." +
                         llvm::Twine(offset + size) + " but the shards hold " + llvm::Twine(total));
      if (spec.dtype == "complex64" && !spec.quantization)
        weight.opaque = true; // kept opaque, like strings
      else if (!weight.opaque)
        weight = decode(spec, bytes->data() + offset);
      if (weights.count(spec.name))
        return makeError("weight '" + spec.name + "' appears twice in the weightsManifest");
      weights[spec.name] = std::move(weight);
      offset += size;
    }
    if (offset != total)
      return makeError(where + " describes " + llvm::Twine(offset) +
                       " bytes of weights but its shards hold " + llvm::Twine(total) + " bytes");
  }
  return std::move(weights);
}

} // namespace kiln::tfjs_import
