//===- TosaHelpers.h - small TOSA building blocks for converters --*- C++ -*-===//
//
// Shapes are static everywhere, so each helper computes its result type.
// Elementwise helpers apply numpy broadcasting the way TOSA wants it: equal
// ranks (the lower-rank operand is reshaped with leading 1s) and each
// dimension equal or 1.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_TOSAHELPERS_H
#define KILN_COMPILER_IMPORT_ONNX_TOSAHELPERS_H

#include "compiler/import/onnx/OpContext.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

namespace kiln::onnx_import {

/// NCHW <-> NHWC permutations, as docs/CONVENTIONS.md fixes them.
constexpr int64_t kToNHWC[] = {0, 2, 3, 1};
constexpr int64_t kToNCHW[] = {0, 3, 1, 2};

mlir::RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, mlir::Type elementType);
mlir::RankedTensorType typeOf(mlir::Value v);

/// A constant of `shape` (default: [1]*rank) filled with `value`.
mlir::Value splatConstant(OpContext &op, mlir::Type elementType, double value,
                          llvm::ArrayRef<int64_t> shape);
mlir::Value scalarLike(OpContext &op, mlir::Value like, double value);
/// A small constant from integers (e.g. perms, paddings), element type `type`.
mlir::Value intConstant(OpContext &op, llvm::ArrayRef<int64_t> values,
                        llvm::ArrayRef<int64_t> shape, mlir::Type type);

mlir::Value reshape(OpContext &op, mlir::Value v, llvm::ArrayRef<int64_t> shape);
mlir::Value transpose(OpContext &op, mlir::Value v, llvm::ArrayRef<int64_t> perm);
mlir::Value slice(OpContext &op, mlir::Value v, llvm::ArrayRef<int64_t> start,
                  llvm::ArrayRef<int64_t> size);
mlir::Value concat(OpContext &op, llvm::ArrayRef<mlir::Value> parts, int64_t axis);
/// Constant padding: `lowHigh` holds (low, high) for each dimension.
mlir::Value pad(OpContext &op, mlir::Value v, llvm::ArrayRef<int64_t> lowHigh, double padValue);
mlir::Value castElements(OpContext &op, mlir::Value v, mlir::Type elementType);
/// Prepends 1s so that `v` has `rank` dimensions.
mlir::Value expandRank(OpContext &op, mlir::Value v, int64_t rank);

/// Elementwise binary op with numpy broadcasting; the result has `a`'s
/// element type unless `resultElement` is given (comparisons give i1).
template <typename OpTy>
mlir::Value binary(OpContext &op, mlir::Value a, mlir::Value b,
                   mlir::Type resultElement = mlir::Type());
mlir::Value mul(OpContext &op, mlir::Value a, mlir::Value b);
mlir::Value select(OpContext &op, mlir::Value pred, mlir::Value a, mlir::Value b);
template <typename OpTy> mlir::Value unary(OpContext &op, mlir::Value v) {
  return op.create<OpTy>(v.getType(), v);
}
mlir::Value clamp(OpContext &op, mlir::Value v, double lo, double hi);

/// TOSA reductions keep the reduced dimension with size 1.
template <typename OpTy> mlir::Value reduce(OpContext &op, mlir::Value v, int64_t axis) {
  llvm::SmallVector<int64_t> shape(typeOf(v).getShape());
  shape[axis] = 1;
  return op.create<OpTy>(tensorOf(shape, typeOf(v).getElementType()), v,
                         op.builder().getI32IntegerAttr(axis));
}

mlir::Value toNHWC(OpContext &op, mlir::Value v);
mlir::Value toNCHW(OpContext &op, mlir::Value v);

//--- Explicit instantiations live in TosaHelpers.cpp.
extern template mlir::Value binary<mlir::tosa::AddOp>(OpContext &, mlir::Value, mlir::Value,
                                                      mlir::Type);
extern template mlir::Value binary<mlir::tosa::SubOp>(OpContext &, mlir::Value, mlir::Value,
                                                      mlir::Type);
extern template mlir::Value binary<mlir::tosa::MaximumOp>(OpContext &, mlir::Value, mlir::Value,
                                                          mlir::Type);
extern template mlir::Value binary<mlir::tosa::MinimumOp>(OpContext &, mlir::Value, mlir::Value,
                                                          mlir::Type);
extern template mlir::Value binary<mlir::tosa::PowOp>(OpContext &, mlir::Value, mlir::Value,
                                                      mlir::Type);
extern template mlir::Value binary<mlir::tosa::IntDivOp>(OpContext &, mlir::Value, mlir::Value,
                                                         mlir::Type);
extern template mlir::Value binary<mlir::tosa::GreaterEqualOp>(OpContext &, mlir::Value,
                                                               mlir::Value, mlir::Type);
extern template mlir::Value binary<mlir::tosa::GreaterOp>(OpContext &, mlir::Value, mlir::Value,
                                                          mlir::Type);
extern template mlir::Value binary<mlir::tosa::EqualOp>(OpContext &, mlir::Value, mlir::Value,
                                                        mlir::Type);

} // namespace kiln::onnx_import

#endif
