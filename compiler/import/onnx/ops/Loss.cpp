//===- Loss.cpp - GatherElements, NegativeLogLikelihoodLoss, SoftmaxCross... ===//
//
// GatherElements is tosa.gather on the data viewed as one row: each output
// element's flat offset is its index along the axis times that axis's
// stride plus the other coordinates' offsets (small broadcast constants),
// so it costs one int32 add per dimension and is exact for any shape.
//
// The two losses in inference form (ONNX defines them as functions over
// the same ops): NLLLoss picks -input[n, target[n, ...], ...] with
// GatherElements along the class axis, weighs each pick by weight[target]
// (zero where target == ignore_index) and reduces: none, sum, or mean =
// sum / sum of the weights. SoftmaxCrossEntropyLoss is NLLLoss of
// log_softmax(scores) over the class axis, which is also its optional
// second output.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/Indexing.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <limits>

using namespace mlir;

namespace kiln::onnx_import {

llvm::Error checkIndicesWithinData(OpContext &op, int data, int indices, int64_t axis) {
  for (int64_t d = 0; d < op.rank(data); ++d)
    if (d != axis && op.shape(indices)[d] > op.shape(data)[d])
      return op.fail("indices are larger than the data in dimension " + llvm::Twine(d));
  return llvm::Error::success();
}

// Each index times its axis's stride, plus the other coordinates' offsets
// (small broadcast constants): one int32 add per dimension.
Value elementOffsets(OpBuilder &b, Location loc, Value indices, llvm::ArrayRef<int64_t> dShape,
                     int64_t axis) {
  llvm::SmallVector<int64_t> iShape(typeOf(indices).getShape());
  int64_t rank = dShape.size();
  std::vector<int64_t> strides = rowMajorStrides(dShape);
  Type i32 = b.getI32Type(), i1 = b.getI1Type();

  Value idx = castElements(b, loc, indices, i32);
  Value negative = binary<tosa::GreaterOp>(b, loc, scalarLike(b, loc, idx, 0.0), idx, i1);
  idx = select(b, loc, negative,
               binary<tosa::AddOp>(b, loc, idx, scalarLike(b, loc, idx, dShape[axis])), idx);
  Value flat = mul(b, loc, idx, scalarLike(b, loc, idx, strides[axis]));
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis || iShape[d] == 1)
      continue;
    llvm::SmallVector<int64_t> shape(rank, 1), offsets;
    shape[d] = iShape[d];
    for (int64_t i = 0; i < iShape[d]; ++i)
      offsets.push_back(i * strides[d]);
    flat = binary<tosa::AddOp>(b, loc, flat, intConstant(b, loc, offsets, shape, i32));
  }
  return flat;
}

namespace {

// data[..., indices[...], ...] along `axis`; indices may be negative
// (counted from the end). Both have data's rank; the result has indices'
// shape.
Value gatherElements(OpBuilder &b, Location loc, Value data, Value indices, int64_t axis) {
  RankedTensorType dataType = typeOf(data);
  llvm::ArrayRef<int64_t> dShape = dataType.getShape();
  llvm::SmallVector<int64_t> iShape(typeOf(indices).getShape());
  Value flat = elementOffsets(b, loc, indices, dShape, axis);
  int64_t count = numElements(iShape), total = numElements(dShape);
  Value rows = reshape(b, loc, data, {1, total, 1});
  Value gathered = b.create<tosa::GatherOp>(loc, tensorOf({1, count, 1}, dataType.getElementType()),
                                            rows, reshape(b, loc, flat, {1, count}))
                       .getResult();
  return reshape(b, loc, gathered, iShape);
}

llvm::Error checkInt32Offsets(OpContext &op, int i, llvm::StringRef what = "the data") {
  // Checked: a [90, 2^62] input overflowed the count (UBSan, onnx fuzz target).
  std::optional<int64_t> count = checkedNumElements(op.shape(i));
  if (!count || *count > std::numeric_limits<int32_t>::max())
    return op.fail(what + " has more elements than int32 indices reach");
  return llvm::Error::success();
}

llvm::Error convertGatherElements(OpContext &op) {
  if (op.rank(0) != op.rank(1))
    return op.fail("data and indices must have the same rank");
  auto axis = op.normalizeAxis(op.attrInt("axis", 0), op.rank(0));
  if (!axis)
    return axis.takeError();
  if (auto err = checkInt32Offsets(op, 0))
    return err;
  // The result's elements are counted in int32 too. Indices of
  // [3, 1, 6, 2^53] made elementOffsets build a 2^53-element constant (22 GB).
  if (auto err = checkIndicesWithinData(op, 0, 1, *axis))
    return err;
  if (auto err = checkInt32Offsets(op, 1, "the indices tensor"))
    return err;
  op.setValue(0, gatherElements(op.builder(), op.loc(), op.value(0), op.value(1), *axis));
  return llvm::Error::success();
}

// log_softmax over `axis`: x - max - log(sum(exp(x - max))).
Value logSoftmax(OpBuilder &b, Location loc, Value x, int64_t axis) {
  Value shifted = binary<tosa::SubOp>(b, loc, x, reduce<tosa::ReduceMaxOp>(b, loc, x, axis));
  Value sum = reduce<tosa::ReduceSumOp>(b, loc, unary<tosa::ExpOp>(b, loc, shifted), axis);
  return binary<tosa::SubOp>(b, loc, shifted, unary<tosa::LogOp>(b, loc, sum));
}

// The loss from log-probabilities `logProb` [N, C, d...], inputs `target`
// and `weight` (input numbers; weight may be absent).
llvm::Error nllLoss(OpContext &op, Value logProb, int target, int weight) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  RankedTensorType type = typeOf(logProb);
  if (type.getRank() < 2)
    return op.fail("the input must have a class dimension (rank 2 or more)");
  if (!isa<FloatType>(type.getElementType()))
    return op.fail("the input must be floating-point");
  if (op.rank(target) != type.getRank() - 1)
    return op.fail("the target must have the input's rank minus one");
  std::string reduction = op.attrString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return op.fail("reduction must be none, sum or mean, not '" + reduction + "'");
  if (auto err = checkInt32Offsets(op, 0))
    return err;
  Type i32 = b.getI32Type(), i1 = b.getI1Type();
  llvm::SmallVector<int64_t> shape(op.shape(target)); // [N, d...]
  // The input's shape without C; also bounds the count below (a target of
  // [2^63-1, 2] overflowed it: UBSan, found by the onnx fuzz target).
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != type.getDimSize(i == 0 ? 0 : i + 1))
      return op.fail("the target's shape must be the input's without its class dimension");
  int64_t classes = type.getDimSize(1), count = numElements(shape);

  Value t = castElements(b, loc, op.value(target), i32);
  Value keep; // i1, where the target is not ignore_index
  if (op.hasAttr("ignore_index")) {
    Value ii = scalarLike(b, loc, t, op.attrInt("ignore_index", 0));
    keep = unary<tosa::LogicalNotOp>(b, loc, binary<tosa::EqualOp>(b, loc, t, ii, i1));
    t = select(b, loc, keep, t, scalarLike(b, loc, t, 0.0));
  }
  llvm::SmallVector<int64_t> withClass(shape);
  withClass.insert(withClass.begin() + 1, 1);
  Value picked =
      reshape(b, loc, gatherElements(b, loc, logProb, reshape(b, loc, t, withClass), 1), shape);
  Value loss = unary<tosa::NegateOp>(b, loc, picked);

  Value w; // the weight of each pick, or null for all ones
  if (op.hasInput(weight)) {
    if (op.rank(weight) != 1 || op.shape(weight)[0] != classes)
      return op.fail("the weight must have one entry per class");
    Value rows = reshape(b, loc, op.value(weight), {1, classes, 1});
    w = b.create<tosa::GatherOp>(loc, tensorOf({1, count, 1}, type.getElementType()), rows,
                                 reshape(b, loc, t, {1, count}))
            .getResult();
    w = reshape(b, loc, w, shape);
  }
  if (keep) {
    Value zero = scalarLike(b, loc, loss, 0.0);
    w = select(b, loc, keep, w ? w : scalarLike(b, loc, loss, 1.0), zero);
  }
  if (w)
    loss = mul(b, loc, loss, w);
  if (reduction == "none") {
    op.setValue(0, loss);
    return llvm::Error::success();
  }
  auto sumAll = [&](Value v) {
    for (int64_t d = 0; d < typeOf(v).getRank(); ++d)
      v = reduce<tosa::ReduceSumOp>(b, loc, v, d);
    return v;
  };
  Value total = sumAll(loss);
  if (reduction == "mean") {
    Value denominator = w ? sumAll(w) : scalarLike(b, loc, total, static_cast<double>(count));
    total = mul(b, loc, total, unary<tosa::ReciprocalOp>(b, loc, denominator));
  }
  op.setValue(0, reshape(b, loc, total, {}));
  return llvm::Error::success();
}

llvm::Error convertNllLoss(OpContext &op) { return nllLoss(op, op.value(0), 1, 2); }

llvm::Error convertSoftmaxCrossEntropyLoss(OpContext &op) {
  if (op.rank(0) < 2)
    return op.fail("the scores must have a class dimension (rank 2 or more)");
  if (!isa<FloatType>(op.elementType(0)))
    return op.fail("the scores must be floating-point");
  Value logProb = logSoftmax(op.builder(), op.loc(), op.value(0), 1);
  if (auto err = nllLoss(op, logProb, 1, 2))
    return err;
  if (op.hasOutput(1))
    op.setValue(1, logProb);
  return llvm::Error::success();
}

} // namespace

void registerLossOps(OpTable &table) {
  table.add("GatherElements", convertGatherElements);
  table.add("NegativeLogLikelihoodLoss", convertNllLoss);
  table.add("SoftmaxCrossEntropyLoss", convertSoftmaxCrossEntropyLoss);
}

} // namespace kiln::onnx_import
