//===- NonMaxSuppression.cpp - NonMaxSuppressionV2-V5 -----------------------===//
//
// Greedy non-max suppression as TF.js computes it
// (tfjs-core backends/non_max_suppression_impl.js): boxes whose score is
// above score_threshold are taken in order of score (ties: the lower index
// first); a box is kept unless its IoU with a box already kept is at least
// iou_threshold; at most max_output_size are kept.
//
// How many boxes survive depends on the data, and Kiln compiles static
// shapes, so only the padded form is compiled: NonMaxSuppressionV4 with
// pad_to_max_output_size gives [max_output_size] indices (0 past the valid
// ones, as TF.js pads) and valid_outputs. Unpadded V4 is refused with that
// reason; V2, V3 and V5 (never padded in TF.js) are not in the op table.
//
// The greedy loop is unrolled max_output_size times over TOSA: each step
// takes the arg max of the remaining scores (tosa.argmax: the first
// maximum, so ties go to the lower index), gathers that box, and masks it
// and every box overlapping it by the threshold to -inf. This is the same
// set in the same order as TF.js's candidate queue: a candidate TF.js
// rejects overlaps a box kept before it, which here masked it already.
// IoU is computed in float32 (TF.js: float64) as inter * (1 / union), so a
// box whose IoU lies within rounding of the threshold may go either way.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/OpContext.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// Each kept box costs about 25 TOSA ops over all the boxes.
constexpr int64_t kMaxOutputs = 256;

llvm::Error convertNms(OpContext &node) {
  if (!node.attrs().getBool("pad_to_max_output_size", false))
    return node.fail(
        "without pad_to_max_output_size its output holds as many indices as boxes survive, a "
        "number known only at run time, and Kiln compiles static shapes");
  if (node.rank(0) != 2 || node.shape(0)[1] != 4)
    return node.fail("boxes must be [num_boxes, 4], not " + shapeString(node.shape(0)));
  int64_t n = node.shape(0)[0];
  if (node.rank(1) != 1 || node.shape(1)[0] != n)
    return node.fail("scores must be [" + llvm::Twine(n) + "], not " + shapeString(node.shape(1)));
  for (int i : {0, 1, 3, 4})
    if (node.dtype(i) != DType::F32)
      return node.fail("input " + llvm::Twine(i) + " must be float32");
  for (int i : {3, 4})
    if (numElements(node.shape(i)) != 1)
      return node.fail("input " + llvm::Twine(i) + " (a threshold) must hold one value");
  auto maxOut = node.constInts(2, "max_output_size");
  if (!maxOut)
    return maxOut.takeError();
  if (maxOut->size() != 1 || (*maxOut)[0] < 1 || (*maxOut)[0] > kMaxOutputs)
    return node.fail("max_output_size must be one value from 1 to " + llvm::Twine(kMaxOutputs) +
                     " (Kiln unrolls the selection once per output)");
  int64_t m = (*maxOut)[0];

  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Type f32 = b.getF32Type(), i1 = b.getI1Type(), i32 = b.getI32Type();
  Value boxes = node.value(0);
  Value col[4];
  for (int c = 0; c < 4; ++c)
    col[c] = reshape(b, loc, slice(b, loc, boxes, {0, c}, {n, 1}), {n});
  // Corners in either order, as TF.js reads them.
  Value ymin = binary<tosa::MinimumOp>(b, loc, col[0], col[2]);
  Value xmin = binary<tosa::MinimumOp>(b, loc, col[1], col[3]);
  Value ymax = binary<tosa::MaximumOp>(b, loc, col[0], col[2]);
  Value xmax = binary<tosa::MaximumOp>(b, loc, col[1], col[3]);
  Value area =
      mul(b, loc, binary<tosa::SubOp>(b, loc, ymax, ymin), binary<tosa::SubOp>(b, loc, xmax, xmin));
  Value zero = splatConstant(b, loc, f32, 0, {1});
  Value areaPositive = binary<tosa::GreaterOp>(b, loc, area, zero, i1);
  // One row per box to gather the kept box from: ymin, xmin, ymax, xmax, area.
  llvm::SmallVector<Value> columns;
  for (Value v : {ymin, xmin, ymax, xmax, area})
    columns.push_back(reshape(b, loc, v, {n, 1}));
  Value table = reshape(b, loc, concat(b, loc, columns, 1), {1, n, 5});

  Value negInf = splatConstant(b, loc, f32, -std::numeric_limits<double>::infinity(), {1});
  Value iouThreshold = reshape(b, loc, node.value(3), {1});
  Value scoreThreshold = reshape(b, loc, node.value(4), {1});
  Value scores = node.value(1);
  scores =
      select(b, loc, binary<tosa::GreaterOp>(b, loc, scores, scoreThreshold, i1), scores, negInf);
  std::vector<int64_t> iotaValues(n);
  for (int64_t i = 0; i < n; ++i)
    iotaValues[i] = i;
  Value iota = i32Constant(node, iotaValues, {n});
  Value zeroIndex = splatConstant(b, loc, i32, 0, {1});

  llvm::SmallVector<Value> indices, valid;
  for (int64_t k = 0; k < m; ++k) {
    Value row = reshape(b, loc, scores, {1, n});
    Value index =
        b.create<tosa::ArgMaxOp>(loc, tensorOf({1}, i32), row, b.getI32IntegerAttr(1)).getResult();
    Value best = reshape(b, loc, reduce<tosa::ReduceMaxOp>(b, loc, row, 1), {1});
    Value isValid = binary<tosa::GreaterOp>(b, loc, best, negInf, i1);
    Value kept = b.create<tosa::GatherOp>(loc, tensorOf({1, 1, 5}, f32), table,
                                          reshape(b, loc, index, {1, 1}))
                     .getResult();
    kept = reshape(b, loc, kept, {5});
    auto keptAt = [&](int64_t c) { return slice(b, loc, kept, {c}, {1}); };
    auto overlap = [&](Value lo, Value hi, int64_t loC, int64_t hiC) {
      Value top = binary<tosa::MinimumOp>(b, loc, hi, keptAt(hiC));
      Value bottom = binary<tosa::MaximumOp>(b, loc, lo, keptAt(loC));
      return binary<tosa::MaximumOp>(b, loc, binary<tosa::SubOp>(b, loc, top, bottom), zero);
    };
    Value inter = mul(b, loc, overlap(ymin, ymax, 0, 2), overlap(xmin, xmax, 1, 3));
    Value keptArea = keptAt(4);
    Value unionArea =
        binary<tosa::SubOp>(b, loc, binary<tosa::AddOp>(b, loc, area, keptArea), inter);
    Value iou = mul(b, loc, inter, unary<tosa::ReciprocalOp>(b, loc, unionArea));
    // TF.js: an IoU with an empty (or inverted) box is 0.
    Value bothPositive = binary<tosa::LogicalAndOp>(
        b, loc, areaPositive, binary<tosa::GreaterOp>(b, loc, keptArea, zero, i1));
    iou = select(b, loc, bothPositive, iou, zero);
    Value suppressed = binary<tosa::LogicalOrOp>(
        b, loc, binary<tosa::GreaterEqualOp>(b, loc, iou, iouThreshold, i1),
        binary<tosa::EqualOp>(b, loc, iota, index, i1));
    scores = select(b, loc, suppressed, negInf, scores);
    indices.push_back(select(b, loc, isValid, index, zeroIndex));
    valid.push_back(castElements(b, loc, isValid, i32));
  }
  node.setValue(0, concat(b, loc, indices, 0));
  Value count = reduce<tosa::ReduceSumOp>(b, loc, concat(b, loc, valid, 0), 0);
  node.setValue(1, reshape(b, loc, count, {}));
  return llvm::Error::success();
}

} // namespace

// V2, V3 and V5 always give a run-time number of indices (TF.js pads only
// V4): they stay unsupported (README.md, Left out).
void registerNmsOps(OpTable &table) { table.add("NonMaxSuppressionV4", convertNms, 5, 5); }

} // namespace kiln::tfjs_import
