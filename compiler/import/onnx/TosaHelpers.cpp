//===- TosaHelpers.cpp - small TOSA building blocks for converters --------===//
#include "compiler/import/onnx/TosaHelpers.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <limits>

using namespace mlir;

namespace kiln::onnx_import {

RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, Type elementType) {
  return RankedTensorType::get(shape, elementType);
}

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value splatConstant(OpContext &op, Type elementType, double value, llvm::ArrayRef<int64_t> shape) {
  auto type = tensorOf(shape, elementType);
  Attribute element;
  if (auto ft = dyn_cast<FloatType>(elementType))
    element = FloatAttr::get(ft, value);
  else if (elementType.isInteger(1))
    element = BoolAttr::get(op.builder().getContext(), value != 0);
  else
    element = IntegerAttr::get(elementType, static_cast<int64_t>(value));
  return op.create<tosa::ConstOp>(type, DenseElementsAttr::get(type, element));
}

Value scalarLike(OpContext &op, Value like, double value) {
  llvm::SmallVector<int64_t> ones(typeOf(like).getRank(), 1);
  return splatConstant(op, typeOf(like).getElementType(), value, ones);
}

Value intConstant(OpContext &op, llvm::ArrayRef<int64_t> values, llvm::ArrayRef<int64_t> shape,
                  Type type) {
  auto tensorType = tensorOf(shape, type);
  llvm::SmallVector<APInt> ints;
  for (int64_t v : values)
    ints.push_back(APInt(type.getIntOrFloatBitWidth(), v, /*isSigned=*/true));
  return op.create<tosa::ConstOp>(tensorType, DenseElementsAttr::get(tensorType, ints));
}

Value reshape(OpContext &op, Value v, llvm::ArrayRef<int64_t> shape) {
  if (typeOf(v).getShape() == shape)
    return v;
  // A reshape of a reshape is one reshape of the original.
  if (auto inner = v.getDefiningOp<tosa::ReshapeOp>())
    return reshape(op, inner.getInput1(), shape);
  // A reshaped constant is a constant (a blob is shared, not copied).
  if (auto constant = v.getDefiningOp<tosa::ConstOp>()) {
    auto type = tensorOf(shape, typeOf(v).getElementType());
    ElementsAttr value = constant.getValue();
    if (auto dense = dyn_cast<DenseElementsAttr>(value))
      return op.create<tosa::ConstOp>(type, dense.reshape(type));
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
      return op.create<tosa::ConstOp>(
          type, DenseResourceElementsAttr::get(type, resource.getRawHandle()));
  }
  return op.create<tosa::ReshapeOp>(tensorOf(shape, typeOf(v).getElementType()), v,
                                    op.builder().getDenseI64ArrayAttr(shape));
}

Value transpose(OpContext &op, Value v, llvm::ArrayRef<int64_t> perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity)
    return v;
  auto in = typeOf(v);
  llvm::SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(in.getDimSize(p));
  Value perms =
      intConstant(op, perm, {static_cast<int64_t>(perm.size())}, op.builder().getI32Type());
  return op.create<tosa::TransposeOp>(tensorOf(shape, in.getElementType()), v, perms);
}

Value slice(OpContext &op, Value v, llvm::ArrayRef<int64_t> start, llvm::ArrayRef<int64_t> size) {
  auto in = typeOf(v);
  if (in.getShape() == size)
    return v;
  return op.create<tosa::SliceOp>(tensorOf(size, in.getElementType()), v,
                                  op.builder().getDenseI64ArrayAttr(start),
                                  op.builder().getDenseI64ArrayAttr(size));
}

Value concat(OpContext &op, llvm::ArrayRef<Value> parts, int64_t axis) {
  if (parts.size() == 1)
    return parts.front();
  llvm::SmallVector<int64_t> shape(typeOf(parts.front()).getShape());
  shape[axis] = 0;
  for (Value p : parts)
    shape[axis] += typeOf(p).getDimSize(axis);
  return op.create<tosa::ConcatOp>(tensorOf(shape, typeOf(parts.front()).getElementType()),
                                   ValueRange(parts), op.builder().getI32IntegerAttr(axis));
}

Value pad(OpContext &op, Value v, llvm::ArrayRef<int64_t> lowHigh, double padValue) {
  if (llvm::all_of(lowHigh, [](int64_t p) { return p == 0; }))
    return v;
  auto in = typeOf(v);
  llvm::SmallVector<int64_t> shape(in.getShape());
  for (size_t d = 0; d < shape.size(); ++d)
    shape[d] += lowHigh[2 * d] + lowHigh[2 * d + 1];
  Value paddings = intConstant(op, lowHigh, {in.getRank(), 2}, op.builder().getI32Type());
  Value padConst = splatConstant(op, in.getElementType(), padValue, {});
  return op.create<tosa::PadOp>(tensorOf(shape, in.getElementType()), v, paddings, padConst);
}

Value castElements(OpContext &op, Value v, Type elementType) {
  if (typeOf(v).getElementType() == elementType)
    return v;
  return op.create<tosa::CastOp>(tensorOf(typeOf(v).getShape(), elementType), v);
}

Value expandRank(OpContext &op, Value v, int64_t rank) {
  auto in = typeOf(v);
  if (in.getRank() >= rank)
    return v;
  llvm::SmallVector<int64_t> shape(rank - in.getRank(), 1);
  shape.append(in.getShape().begin(), in.getShape().end());
  return reshape(op, v, shape);
}

// Equal ranks, and the broadcast result shape.
static llvm::SmallVector<int64_t> broadcastOperands(OpContext &op, Value &a, Value &b) {
  int64_t rank = std::max(typeOf(a).getRank(), typeOf(b).getRank());
  a = expandRank(op, a, rank);
  b = expandRank(op, b, rank);
  llvm::SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t da = typeOf(a).getDimSize(d), db = typeOf(b).getDimSize(d);
    shape.push_back(da == 1 ? db : da);
  }
  return shape;
}

template <typename OpTy> Value binary(OpContext &op, Value a, Value b, Type resultElement) {
  auto shape = broadcastOperands(op, a, b);
  Type element = resultElement ? resultElement : typeOf(a).getElementType();
  return op.create<OpTy>(tensorOf(shape, element), a, b);
}

template Value binary<tosa::AddOp>(OpContext &, Value, Value, Type);
template Value binary<tosa::SubOp>(OpContext &, Value, Value, Type);
template Value binary<tosa::MaximumOp>(OpContext &, Value, Value, Type);
template Value binary<tosa::MinimumOp>(OpContext &, Value, Value, Type);
template Value binary<tosa::PowOp>(OpContext &, Value, Value, Type);
template Value binary<tosa::IntDivOp>(OpContext &, Value, Value, Type);
template Value binary<tosa::GreaterEqualOp>(OpContext &, Value, Value, Type);
template Value binary<tosa::GreaterOp>(OpContext &, Value, Value, Type);
template Value binary<tosa::EqualOp>(OpContext &, Value, Value, Type);

Value mul(OpContext &op, Value a, Value b) {
  auto shape = broadcastOperands(op, a, b);
  return op.create<tosa::MulOp>(tensorOf(shape, typeOf(a).getElementType()), a, b,
                                op.builder().getI8IntegerAttr(0));
}

Value select(OpContext &op, Value pred, Value a, Value b) {
  int64_t rank = std::max({typeOf(pred).getRank(), typeOf(a).getRank(), typeOf(b).getRank()});
  pred = expandRank(op, pred, rank);
  a = expandRank(op, a, rank);
  b = expandRank(op, b, rank);
  llvm::SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(
        std::max({typeOf(pred).getDimSize(d), typeOf(a).getDimSize(d), typeOf(b).getDimSize(d)}));
  return op.create<tosa::SelectOp>(tensorOf(shape, typeOf(a).getElementType()), pred, a, b);
}

Value clamp(OpContext &op, Value v, double lo, double hi) {
  auto &b = op.builder();
  // TOSA reads the bounds that match the element type; both are given. The
  // integer ones saturate at the int64 range for infinite float bounds.
  auto toInt = [](double x) {
    if (x <= -9.2e18)
      return std::numeric_limits<int64_t>::min();
    if (x >= 9.2e18)
      return std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(x);
  };
  return op.create<tosa::ClampOp>(
      v.getType(), v, b.getI64IntegerAttr(toInt(lo)), b.getI64IntegerAttr(toInt(hi)),
      b.getF32FloatAttr(static_cast<float>(lo)), b.getF32FloatAttr(static_cast<float>(hi)));
}

Value toNHWC(OpContext &op, Value v) { return transpose(op, v, kToNHWC); }
Value toNCHW(OpContext &op, Value v) { return transpose(op, v, kToNCHW); }

} // namespace kiln::onnx_import
