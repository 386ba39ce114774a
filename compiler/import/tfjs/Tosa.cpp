//===- Tosa.cpp - small TOSA building blocks for the TF.js converters -----===//
#include "compiler/import/tfjs/Tosa.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {

RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, Type elementType) {
  return RankedTensorType::get(shape, elementType);
}

RankedTensorType typeOf(Value v) { return llvm::cast<RankedTensorType>(v.getType()); }

Value splat(NodeContext &node, Type elementType, double value, llvm::ArrayRef<int64_t> shape) {
  auto type = tensorOf(shape, elementType);
  Attribute element;
  if (auto ft = llvm::dyn_cast<FloatType>(elementType))
    element = FloatAttr::get(ft, value);
  else if (elementType.isInteger(1))
    element = BoolAttr::get(node.builder().getContext(), value != 0);
  else
    element = IntegerAttr::get(elementType, static_cast<int64_t>(value));
  return node.create<tosa::ConstOp>(type, DenseElementsAttr::get(type, element));
}

Value scalarLike(NodeContext &node, Value like, double value) {
  llvm::SmallVector<int64_t> ones(typeOf(like).getRank(), 1);
  return splat(node, typeOf(like).getElementType(), value, ones);
}

Value i32Constant(NodeContext &node, llvm::ArrayRef<int64_t> values,
                  llvm::ArrayRef<int64_t> shape) {
  // Through the importer, so that large index tensors become blobs too.
  return node.graph().createConstant(
      HostTensor::fromInts(DType::I32, std::vector<int64_t>(shape.begin(), shape.end()),
                           std::vector<int64_t>(values.begin(), values.end())),
      "indices");
}

Value reshape(NodeContext &node, Value v, llvm::ArrayRef<int64_t> shape) {
  // A reshape of a reshape is one reshape (the first is erased if unused).
  if (auto previous = v.getDefiningOp<tosa::ReshapeOp>())
    v = previous.getInput1();
  if (typeOf(v).getShape() == shape)
    return v;
  return node.create<tosa::ReshapeOp>(tensorOf(shape, typeOf(v).getElementType()), v,
                                      node.builder().getDenseI64ArrayAttr(shape));
}

Value transpose(NodeContext &node, Value v, llvm::ArrayRef<int64_t> perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity)
    return v;
  auto in = typeOf(v);
  llvm::SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(in.getDimSize(p));
  Value perms = i32Constant(node, perm, {static_cast<int64_t>(perm.size())});
  return node.create<tosa::TransposeOp>(tensorOf(shape, in.getElementType()), v, perms);
}

Value slice(NodeContext &node, Value v, llvm::ArrayRef<int64_t> start,
            llvm::ArrayRef<int64_t> size) {
  auto in = typeOf(v);
  if (in.getShape() == size)
    return v;
  return node.create<tosa::SliceOp>(tensorOf(size, in.getElementType()), v,
                                    node.builder().getDenseI64ArrayAttr(start),
                                    node.builder().getDenseI64ArrayAttr(size));
}

Value concat(NodeContext &node, llvm::ArrayRef<Value> parts, int64_t axis) {
  if (parts.size() == 1)
    return parts.front();
  llvm::SmallVector<int64_t> shape(typeOf(parts.front()).getShape());
  shape[axis] = 0;
  for (Value p : parts)
    shape[axis] += typeOf(p).getDimSize(axis);
  return node.create<tosa::ConcatOp>(tensorOf(shape, typeOf(parts.front()).getElementType()),
                                     ValueRange(parts), node.builder().getI32IntegerAttr(axis));
}

Value pad(NodeContext &node, Value v, llvm::ArrayRef<int64_t> lowHigh, double padValue) {
  if (llvm::all_of(lowHigh, [](int64_t p) { return p == 0; }))
    return v;
  auto in = typeOf(v);
  llvm::SmallVector<int64_t> shape(in.getShape());
  for (size_t d = 0; d < shape.size(); ++d)
    shape[d] += lowHigh[2 * d] + lowHigh[2 * d + 1];
  Value paddings = i32Constant(node, lowHigh, {in.getRank(), 2});
  Value padConst = splat(node, in.getElementType(), padValue, {});
  return node.create<tosa::PadOp>(tensorOf(shape, in.getElementType()), v, paddings, padConst);
}

Value cast(NodeContext &node, Value v, Type elementType) {
  if (typeOf(v).getElementType() == elementType)
    return v;
  return node.create<tosa::CastOp>(tensorOf(typeOf(v).getShape(), elementType), v);
}

Value expandRank(NodeContext &node, Value v, int64_t rank) {
  auto in = typeOf(v);
  if (in.getRank() >= rank)
    return v;
  llvm::SmallVector<int64_t> shape(rank - in.getRank(), 1);
  shape.append(in.getShape().begin(), in.getShape().end());
  return reshape(node, v, shape);
}

// Equal ranks, and the broadcast result shape (the caller checked that the
// shapes broadcast).
static llvm::SmallVector<int64_t> broadcastOperands(NodeContext &node,
                                                    llvm::MutableArrayRef<Value> operands) {
  int64_t rank = 0;
  for (Value v : operands)
    rank = std::max(rank, typeOf(v).getRank());
  llvm::SmallVector<int64_t> shape(rank, 1);
  for (Value &v : operands) {
    v = expandRank(node, v, rank);
    for (int64_t d = 0; d < rank; ++d)
      if (typeOf(v).getDimSize(d) != 1)
        shape[d] = typeOf(v).getDimSize(d);
  }
  return shape;
}

template <typename OpTy> Value binary(NodeContext &node, Value a, Value b, Type resultElement) {
  Value operands[] = {a, b};
  auto shape = broadcastOperands(node, operands);
  Type element = resultElement ? resultElement : typeOf(a).getElementType();
  return node.create<OpTy>(tensorOf(shape, element), operands[0], operands[1]);
}

#define KILN_TFJS_BINARY(Op) template Value binary<tosa::Op>(NodeContext &, Value, Value, Type);
KILN_TFJS_BINARY(AddOp)
KILN_TFJS_BINARY(SubOp)
KILN_TFJS_BINARY(MaximumOp)
KILN_TFJS_BINARY(MinimumOp)
KILN_TFJS_BINARY(PowOp)
KILN_TFJS_BINARY(IntDivOp)
KILN_TFJS_BINARY(GreaterEqualOp)
KILN_TFJS_BINARY(GreaterOp)
KILN_TFJS_BINARY(EqualOp)
KILN_TFJS_BINARY(LogicalAndOp)
KILN_TFJS_BINARY(LogicalOrOp)
KILN_TFJS_BINARY(LogicalXorOp)
#undef KILN_TFJS_BINARY

Value mul(NodeContext &node, Value a, Value b) {
  Value operands[] = {a, b};
  auto shape = broadcastOperands(node, operands);
  return node.create<tosa::MulOp>(tensorOf(shape, typeOf(a).getElementType()), operands[0],
                                  operands[1], node.builder().getI8IntegerAttr(0));
}

Value select(NodeContext &node, Value pred, Value a, Value b) {
  Value operands[] = {pred, a, b};
  auto shape = broadcastOperands(node, operands);
  return node.create<tosa::SelectOp>(tensorOf(shape, typeOf(a).getElementType()), operands[0],
                                     operands[1], operands[2]);
}

Value negate(NodeContext &node, Value v) { return node.create<tosa::NegateOp>(v.getType(), v); }

Value clamp(NodeContext &node, Value v, double lo, double hi) {
  auto &b = node.builder();
  // TOSA reads the bounds that match the element type; both are given, the
  // integer ones saturated for infinite float bounds.
  auto toInt = [](double x) {
    if (x <= -9.2e18)
      return std::numeric_limits<int64_t>::min();
    if (x >= 9.2e18)
      return std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(x);
  };
  return node.create<tosa::ClampOp>(
      v.getType(), v, b.getI64IntegerAttr(toInt(lo)), b.getI64IntegerAttr(toInt(hi)),
      b.getF32FloatAttr(static_cast<float>(lo)), b.getF32FloatAttr(static_cast<float>(hi)));
}

} // namespace kiln::tfjs_import
