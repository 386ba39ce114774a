//===- TosaBuilders.h - TOSA building blocks both importers share -*- C++ -*-===//
//
// Each helper builds at `b`'s insertion point, gives every op it creates the
// location `loc`, and computes its result type (shapes are static
// everywhere). Helpers that would build an identity (a reshape to the same
// shape, a full slice, an identity transpose, zero padding) return their
// input. Elementwise helpers apply numpy broadcasting the way TOSA wants it:
// equal ranks (lower-rank operands are reshaped with leading 1s) and each
// dimension equal or 1; callers have checked that the shapes broadcast.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_COMMON_TOSABUILDERS_H
#define KILN_COMPILER_IMPORT_COMMON_TOSABUILDERS_H

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"

namespace kiln::import {

mlir::RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, mlir::Type elementType);
mlir::RankedTensorType typeOf(mlir::Value v);

//--- Small constants, always inline (dense<...>).
/// A constant of `shape` filled with `value` (i1: value != 0).
mlir::Value splatConstant(mlir::OpBuilder &b, mlir::Location loc, mlir::Type elementType,
                          double value, llvm::ArrayRef<int64_t> shape);
/// A [1, ..., 1] constant of `like`'s rank and element type.
mlir::Value scalarLike(mlir::OpBuilder &b, mlir::Location loc, mlir::Value like, double value);
/// A constant from integers (perms, paddings) with integer element `type`.
mlir::Value intConstant(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<int64_t> values,
                        llvm::ArrayRef<int64_t> shape, mlir::Type type);

//--- Data movement.
/// A reshape of a reshape is one reshape of the original; a reshaped
/// tosa.const is a new tosa.const (a dense_resource blob is shared, not
/// copied).
mlir::Value reshape(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                    llvm::ArrayRef<int64_t> shape);
mlir::Value transpose(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      llvm::ArrayRef<int64_t> perm);
mlir::Value slice(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                  llvm::ArrayRef<int64_t> start, llvm::ArrayRef<int64_t> size);
mlir::Value concat(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<mlir::Value> parts,
                   int64_t axis);
/// Constant padding: `lowHigh` holds (low, high) for each dimension.
mlir::Value pad(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                llvm::ArrayRef<int64_t> lowHigh, double padValue);
mlir::Value castElements(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                         mlir::Type elementType);
/// Prepends 1s so that `v` has `rank` dimensions.
mlir::Value expandRank(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, int64_t rank);

//--- Elementwise.
/// Brings `operands` to one rank in place; returns the broadcast shape.
llvm::SmallVector<int64_t> broadcastOperands(mlir::OpBuilder &b, mlir::Location loc,
                                             llvm::MutableArrayRef<mlir::Value> operands);
/// Elementwise binary op with broadcasting; the result has `a`'s element
/// type unless `resultElement` is given (comparisons give i1).
template <typename OpTy>
mlir::Value binary(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs, mlir::Value rhs,
                   mlir::Type resultElement = mlir::Type()) {
  mlir::Value operands[] = {lhs, rhs};
  auto shape = broadcastOperands(b, loc, operands);
  mlir::Type element = resultElement ? resultElement : typeOf(lhs).getElementType();
  return b.create<OpTy>(loc, tensorOf(shape, element), operands[0], operands[1]).getResult();
}
mlir::Value mul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs, mlir::Value rhs);
mlir::Value select(mlir::OpBuilder &b, mlir::Location loc, mlir::Value pred, mlir::Value onTrue,
                   mlir::Value onFalse);
template <typename OpTy> mlir::Value unary(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v) {
  return b.create<OpTy>(loc, v.getType(), v).getResult();
}
mlir::Value clamp(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, double lo, double hi);

/// TOSA reductions keep the reduced dimension, with size 1.
template <typename OpTy>
mlir::Value reduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, int64_t axis) {
  llvm::SmallVector<int64_t> shape(typeOf(v).getShape());
  shape[axis] = 1;
  return b
      .create<OpTy>(loc, tensorOf(shape, typeOf(v).getElementType()), v, b.getI32IntegerAttr(axis))
      .getResult();
}

} // namespace kiln::import

#endif
