//===- Elements.h - element types and shapes of literals --------*- C++ -*-===//
//
// ONNX data types as the importer's literals (Literal) hold them: sizes,
// names, and loads and stores of one element through int64 or double. They
// keep ONNX's own codes (what TensorProto and Cast's `to` carry); Kiln's
// DType is what they mean.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_ELEMENTS_H
#define KILN_COMPILER_IMPORT_ONNX_ELEMENTS_H

#include "compiler/import/common/Shapes.h"
#include "dialects/kiln/DType.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::onnx_import {

/// ONNX's TensorProto.DataType codes (an int32_t wherever they are stored).
enum OnnxType : int32_t {
  kFloat = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

/// The Kiln dtype of an ONNX type, or std::nullopt for those the importer
/// cannot hold (strings, complex numbers, float8...).
std::optional<DType> kilnDType(int32_t dtype);
/// The ONNX type of a Kiln dtype (each has one).
int32_t onnxTypeOf(DType dtype);

/// Bytes per element, or 0 for types the importer cannot hold.
size_t dtypeSize(int32_t dtype);
/// "float", "int64", ...: the names ONNX's text form uses.
llvm::StringRef dtypeName(int32_t dtype);
bool isFloatDType(int32_t dtype);

using kiln::import::checkedNumElements;
using kiln::import::numElements;
using kiln::import::rowMajorStrides;
/// "[1,3,224,224]".
inline std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  return import::shapeString(shape, ",");
}

/// The broadcast shape of two shapes under numpy rules, or an error.
inline llvm::Expected<std::vector<int64_t>> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                                            llvm::ArrayRef<int64_t> b) {
  return import::broadcastShapes(a, b, ",");
}

/// One element at `p`, read as a double (floats) or int64 (floats truncate,
/// as ONNX's Cast does).
double loadDouble(int32_t dtype, const char *p);
int64_t loadInt(int32_t dtype, const char *p);
/// One element written at `p`, converted to `dtype` (bool: v != 0).
void storeInt(int32_t dtype, char *p, int64_t v);
void storeDouble(int32_t dtype, char *p, double v);

} // namespace kiln::onnx_import

#endif
