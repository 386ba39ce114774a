//===- DType.h - the element types Kiln's IR and artifacts carry -*- C++ -*-===//
//
// One enumeration of element types for every layer: the importers' folded
// constants, the JIT runner's tensors, the host plan's buffers (and through
// it the C runtime's kiln_dtype) all speak DType. A source format's own codes
// (ONNX's TensorProto.DataType, TF's DT_*) are mapped to it at the importer's
// edge.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECTS_KILN_DTYPE_H
#define KILN_DIALECTS_KILN_DTYPE_H

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Types.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>

namespace kiln {

enum class DType { F32, F16, BF16, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool };

/// The dtype of an MLIR element type (f32, i64, i1, ui8...); signless
/// integers are signed, as in TOSA.
llvm::Expected<DType> dtypeOf(mlir::Type elementType);
/// The MLIR element type of `dtype` (signless integers, i1 for bool).
mlir::Type mlirTypeOf(mlir::MLIRContext *context, DType dtype);
/// Bytes of one element (1 for bool).
size_t dtypeBytes(DType dtype);
/// Numpy spelling: "float32", "int64", "bool"...
llvm::StringRef dtypeName(DType dtype);
llvm::Expected<DType> parseDType(llvm::StringRef name);
bool isFloat(DType dtype);

/// How Halide and the C runtime see a dtype.
struct DTypeLayout {
  uint8_t halideCode; ///< halide_type_code_t: 0 int, 1 uint, 2 float, 4 bfloat.
  uint8_t bits;       ///< 1 for bool (stored in a byte).
  /// The runtime's kiln_dtype enumerator ("KILN_DTYPE_F32"); every dtype
  /// has one (a model takes any of them at its boundary).
  const char *cEnumerator;
};
DTypeLayout layoutOf(DType dtype);

} // namespace kiln

#endif
