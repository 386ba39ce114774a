//===- TosaBuilders.cpp - TOSA building blocks both importers share -------===//
#include "compiler/import/common/TosaBuilders.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <limits>

using namespace mlir;

namespace kiln::import {

RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, Type elementType) {
  return RankedTensorType::get(shape, elementType);
}

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value splatConstant(OpBuilder &b, Location loc, Type elementType, double value,
                    llvm::ArrayRef<int64_t> shape) {
  auto type = tensorOf(shape, elementType);
  Attribute element;
  if (auto ft = dyn_cast<FloatType>(elementType))
    element = FloatAttr::get(ft, value);
  else if (elementType.isInteger(1))
    element = BoolAttr::get(b.getContext(), value != 0);
  else
    element = IntegerAttr::get(elementType, static_cast<int64_t>(value));
  return b.create<tosa::ConstOp>(loc, type, DenseElementsAttr::get(type, element));
}

Value scalarLike(OpBuilder &b, Location loc, Value like, double value) {
  llvm::SmallVector<int64_t> ones(typeOf(like).getRank(), 1);
  return splatConstant(b, loc, typeOf(like).getElementType(), value, ones);
}

Value intConstant(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> values,
                  llvm::ArrayRef<int64_t> shape, Type type) {
  auto tensorType = tensorOf(shape, type);
  llvm::SmallVector<APInt> ints;
  for (int64_t v : values)
    ints.push_back(APInt(type.getIntOrFloatBitWidth(), v, /*isSigned=*/true));
  return b.create<tosa::ConstOp>(loc, tensorType, DenseElementsAttr::get(tensorType, ints));
}

Value reshape(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> shape) {
  if (typeOf(v).getShape() == shape)
    return v;
  if (auto inner = v.getDefiningOp<tosa::ReshapeOp>())
    return reshape(b, loc, inner.getInput1(), shape);
  auto type = tensorOf(shape, typeOf(v).getElementType());
  if (auto constant = v.getDefiningOp<tosa::ConstOp>()) {
    ElementsAttr value = constant.getValue();
    if (auto dense = dyn_cast<DenseElementsAttr>(value))
      return b.create<tosa::ConstOp>(loc, type, dense.reshape(type));
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
      return b.create<tosa::ConstOp>(loc, type,
                                     DenseResourceElementsAttr::get(type, resource.getRawHandle()));
  }
  return b.create<tosa::ReshapeOp>(loc, type, v, b.getDenseI64ArrayAttr(shape));
}

Value transpose(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity)
    return v;
  auto in = typeOf(v);
  llvm::SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(in.getDimSize(p));
  Value perms = intConstant(b, loc, perm, {static_cast<int64_t>(perm.size())}, b.getI32Type());
  return b.create<tosa::TransposeOp>(loc, tensorOf(shape, in.getElementType()), v, perms);
}

Value slice(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> start,
            llvm::ArrayRef<int64_t> size) {
  auto in = typeOf(v);
  if (in.getShape() == size)
    return v;
  return b.create<tosa::SliceOp>(loc, tensorOf(size, in.getElementType()), v,
                                 b.getDenseI64ArrayAttr(start), b.getDenseI64ArrayAttr(size));
}

Value concat(OpBuilder &b, Location loc, llvm::ArrayRef<Value> parts, int64_t axis) {
  if (parts.size() == 1)
    return parts.front();
  llvm::SmallVector<int64_t> shape(typeOf(parts.front()).getShape());
  shape[axis] = 0;
  for (Value p : parts)
    shape[axis] += typeOf(p).getDimSize(axis);
  return b.create<tosa::ConcatOp>(loc, tensorOf(shape, typeOf(parts.front()).getElementType()),
                                  ValueRange(parts), b.getI32IntegerAttr(axis));
}

Value pad(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> lowHigh, double padValue) {
  if (llvm::all_of(lowHigh, [](int64_t p) { return p == 0; }))
    return v;
  auto in = typeOf(v);
  llvm::SmallVector<int64_t> shape(in.getShape());
  for (size_t d = 0; d < shape.size(); ++d)
    shape[d] += lowHigh[2 * d] + lowHigh[2 * d + 1];
  Value paddings = intConstant(b, loc, lowHigh, {in.getRank(), 2}, b.getI32Type());
  Value padConst = splatConstant(b, loc, in.getElementType(), padValue, {});
  return b.create<tosa::PadOp>(loc, tensorOf(shape, in.getElementType()), v, paddings, padConst);
}

Value castElements(OpBuilder &b, Location loc, Value v, Type elementType) {
  if (typeOf(v).getElementType() == elementType)
    return v;
  return b.create<tosa::CastOp>(loc, tensorOf(typeOf(v).getShape(), elementType), v);
}

Value expandRank(OpBuilder &b, Location loc, Value v, int64_t rank) {
  auto in = typeOf(v);
  if (in.getRank() >= rank)
    return v;
  llvm::SmallVector<int64_t> shape(rank - in.getRank(), 1);
  shape.append(in.getShape().begin(), in.getShape().end());
  return reshape(b, loc, v, shape);
}

llvm::SmallVector<int64_t> broadcastOperands(OpBuilder &b, Location loc,
                                             llvm::MutableArrayRef<Value> operands) {
  int64_t rank = 0;
  for (Value v : operands)
    rank = std::max(rank, typeOf(v).getRank());
  // Each dimension is the first operand's that is not 1. Shapes that do not
  // broadcast give a result that fails to verify (or that the ONNX importer's
  // shape check names).
  llvm::SmallVector<int64_t> shape(rank, 1);
  for (Value &v : operands) {
    v = expandRank(b, loc, v, rank);
    for (int64_t d = 0; d < rank; ++d)
      if (shape[d] == 1)
        shape[d] = typeOf(v).getDimSize(d);
  }
  return shape;
}

Value mul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  Value operands[] = {lhs, rhs};
  auto shape = broadcastOperands(b, loc, operands);
  return b.create<tosa::MulOp>(loc, tensorOf(shape, typeOf(lhs).getElementType()), operands[0],
                               operands[1], b.getI8IntegerAttr(0));
}

Value select(OpBuilder &b, Location loc, Value pred, Value onTrue, Value onFalse) {
  Value operands[] = {pred, onTrue, onFalse};
  auto shape = broadcastOperands(b, loc, operands);
  return b.create<tosa::SelectOp>(loc, tensorOf(shape, typeOf(onTrue).getElementType()),
                                  operands[0], operands[1], operands[2]);
}

Value clamp(OpBuilder &b, Location loc, Value v, double lo, double hi) {
  // TOSA reads the bounds that match the element type; both are given, the
  // integer ones saturated at the int64 range for infinite float bounds.
  auto toInt = [](double x) {
    if (x <= -9.2e18)
      return std::numeric_limits<int64_t>::min();
    if (x >= 9.2e18)
      return std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(x);
  };
  return b.create<tosa::ClampOp>(
      loc, v.getType(), v, b.getI64IntegerAttr(toInt(lo)), b.getI64IntegerAttr(toInt(hi)),
      b.getF32FloatAttr(static_cast<float>(lo)), b.getF32FloatAttr(static_cast<float>(hi)));
}

} // namespace kiln::import
