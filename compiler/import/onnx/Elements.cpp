//===- Elements.cpp - element types and shapes of literals ----------------===//
#include "compiler/import/onnx/Elements.h"

#include "llvm/ADT/APFloat.h"

#include <cstring>

namespace kiln::onnx_import {

std::optional<DType> kilnDType(int32_t dtype) {
  switch (dtype) {
  case kFloat:
    return DType::F32;
  case kUInt8:
    return DType::U8;
  case kInt8:
    return DType::I8;
  case kUInt16:
    return DType::U16;
  case kInt16:
    return DType::I16;
  case kInt32:
    return DType::I32;
  case kInt64:
    return DType::I64;
  case kBool:
    return DType::Bool;
  case kFloat16:
    return DType::F16;
  case kDouble:
    return DType::F64;
  case kUInt32:
    return DType::U32;
  case kUInt64:
    return DType::U64;
  case kBFloat16:
    return DType::BF16;
  default:
    return std::nullopt;
  }
}

int32_t onnxTypeOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return kFloat;
  case DType::F16:
    return kFloat16;
  case DType::BF16:
    return kBFloat16;
  case DType::F64:
    return kDouble;
  case DType::I8:
    return kInt8;
  case DType::I16:
    return kInt16;
  case DType::I32:
    return kInt32;
  case DType::I64:
    return kInt64;
  case DType::U8:
    return kUInt8;
  case DType::U16:
    return kUInt16;
  case DType::U32:
    return kUInt32;
  case DType::U64:
    return kUInt64;
  case DType::Bool:
    return kBool;
  }
  return 0;
}

size_t dtypeSize(int32_t dtype) {
  std::optional<DType> d = kilnDType(dtype);
  return d ? dtypeBytes(*d) : 0;
}

llvm::StringRef dtypeName(int32_t dtype) {
  switch (dtype) {
  case kFloat:
    return "float";
  case kUInt8:
    return "uint8";
  case kInt8:
    return "int8";
  case kUInt16:
    return "uint16";
  case kInt16:
    return "int16";
  case kInt32:
    return "int32";
  case kInt64:
    return "int64";
  case kString:
    return "string";
  case kBool:
    return "bool";
  case kFloat16:
    return "float16";
  case kDouble:
    return "double";
  case kUInt32:
    return "uint32";
  case kUInt64:
    return "uint64";
  case kBFloat16:
    return "bfloat16";
  default:
    return "unknown type";
  }
}

bool isFloatDType(int32_t dtype) {
  std::optional<DType> d = kilnDType(dtype);
  return d && isFloat(*d);
}

static const llvm::fltSemantics &halfSemantics(int32_t dtype) {
  return dtype == kBFloat16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf();
}

double loadDouble(int32_t dtype, const char *p) {
  switch (dtype) {
  case kFloat: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case kDouble: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case kFloat16:
  case kBFloat16: {
    uint16_t bits;
    std::memcpy(&bits, p, 2);
    llvm::APFloat f(halfSemantics(dtype), llvm::APInt(16, bits));
    return f.convertToDouble();
  }
  default:
    break;
  }
  int64_t v = 0;
  switch (dtype) {
  case kBool:
  case kUInt8:
    v = *reinterpret_cast<const uint8_t *>(p);
    break;
  case kInt8:
    v = *reinterpret_cast<const int8_t *>(p);
    break;
  case kInt16: {
    int16_t x;
    std::memcpy(&x, p, 2);
    v = x;
    break;
  }
  case kUInt16: {
    uint16_t x;
    std::memcpy(&x, p, 2);
    v = x;
    break;
  }
  case kInt32: {
    int32_t x;
    std::memcpy(&x, p, 4);
    v = x;
    break;
  }
  case kUInt32: {
    uint32_t x;
    std::memcpy(&x, p, 4);
    v = x;
    break;
  }
  case kInt64:
  case kUInt64:
    std::memcpy(&v, p, 8);
    break;
  }
  return static_cast<double>(v);
}

int64_t loadInt(int32_t dtype, const char *p) {
  if (isFloatDType(dtype))
    return static_cast<int64_t>(loadDouble(dtype, p)); // truncates, as ONNX Cast
  if (dtype == kInt64 || dtype == kUInt64) {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  return static_cast<int64_t>(loadDouble(dtype, p));
}

template <typename T> static void storeAs(char *p, T v) { std::memcpy(p, &v, sizeof(T)); }

void storeInt(int32_t dtype, char *p, int64_t v) {
  switch (dtype) {
  case kBool:
    return storeAs<uint8_t>(p, v != 0);
  case kUInt8:
    return storeAs<uint8_t>(p, v);
  case kInt8:
    return storeAs<int8_t>(p, v);
  case kInt16:
    return storeAs<int16_t>(p, v);
  case kUInt16:
    return storeAs<uint16_t>(p, v);
  case kInt32:
    return storeAs<int32_t>(p, v);
  case kUInt32:
    return storeAs<uint32_t>(p, v);
  case kInt64:
  case kUInt64:
    return storeAs<int64_t>(p, v);
  default:
    break;
  }
}

void storeDouble(int32_t dtype, char *p, double v) {
  switch (dtype) {
  case kFloat:
    return storeAs<float>(p, static_cast<float>(v));
  case kDouble:
    return storeAs<double>(p, v);
  case kFloat16:
  case kBFloat16: {
    llvm::APFloat f(v);
    bool lost;
    f.convert(halfSemantics(dtype), llvm::APFloat::rmNearestTiesToEven, &lost);
    return storeAs<uint16_t>(p, f.bitcastToAPInt().getZExtValue());
  }
  case kBool:
    return storeAs<uint8_t>(p, v != 0);
  default:
    return storeInt(dtype, p, static_cast<int64_t>(v));
  }
}

} // namespace kiln::onnx_import
