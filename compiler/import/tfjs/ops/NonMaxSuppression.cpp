//===- NonMaxSuppression.cpp - NonMaxSuppressionV2-V5 -----------------------===//
//
// Greedy non-max suppression as TF.js computes it
// (tfjs-core backends/non_max_suppression_impl.js): boxes whose score is
// above score_threshold are taken in order of score (ties: the lower index
// first); a box is kept unless its IoU with a box already kept is at least
// iou_threshold; at most max_output_size are kept. V5's soft-NMS (sigma >
// 0) decays a candidate's score by exp(-0.5 * iou^2 / sigma) for each kept
// box it overlaps by less than the threshold, and drops it once its score
// is at or below score_threshold.
//
// How many boxes survive depends on the data. V4 with
// pad_to_max_output_size gives [max_output_size] indices (0 past the valid
// ones, as TF.js pads) and valid_outputs. V2, V3, V5 and unpadded V4 give
// bounded outputs (docs/BOUNDED.md): a buffer of min(max_output_size,
// boxes) rows, a run-time count, the valid rows first; a kiln.compact by
// the selection's valid flags (already a prefix, so it moves nothing)
// makes them bounded values, which finishBoundedResults turns into an
// output and its "<name>:count".
//
// Boxes and scores may themselves be bounded (a gather by Where's rows, as
// faceboxes selects its candidates): the rows past their count become
// empty boxes scored -inf (ops/Count.h's fillPastCount), which no step
// selects, so the selection is the one over the counted rows.
//
// The greedy loop is unrolled once per output over TOSA: each step takes
// the arg max of the remaining scores (tosa.argmax: the first maximum, so
// ties go to the lower index), gathers that box, and masks it and every
// box overlapping it by the threshold to -inf (soft-NMS: decays the
// others). This is the same set in the same order as TF.js's candidate
// queue: a candidate TF.js rejects overlaps a box kept before it, which
// here masked it already; TF.js decays a candidate lazily, when it comes
// up, by the same factors. IoU is computed in float32 (TF.js: float64) as
// inter * (1 / union), so a box whose IoU lies within rounding of the
// threshold may go either way.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/OpContext.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/FillPast.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// Each kept box costs about 25 TOSA ops over all the boxes.
constexpr int64_t kMaxOutputs = 256;

// What the unrolled selection gives, one row per step.
struct Selection {
  Value indices; // i32 [m], 0 past the valid ones
  Value scores;  // f32 [m], the kept boxes' (decayed) scores, 0 past the valid ones
  Value valid;   // i1 [m], a prefix of trues
  Value count;   // i32 [], how many are valid
};

// A threshold input: a float32 scalar, run-time values allowed.
llvm::Error checkScalar(OpContext &node, int i) {
  if (node.dtype(i) != DType::F32)
    return node.fail("input " + llvm::Twine(i) + " must be float32");
  if (numElements(node.shape(i)) != 1)
    return node.fail("input " + llvm::Twine(i) + " (a threshold) must hold one value");
  return llvm::Error::success();
}

// The inputs every version shares: boxes [n, 4], scores [n], the constant
// max_output_size and iou_threshold (input 3); score_threshold (input 4)
// from V3 on. Returns max_output_size.
llvm::Expected<int64_t> checkInputs(OpContext &node, bool hasScoreThreshold) {
  if (node.rank(0) != 2 || node.shape(0)[1] != 4)
    return node.fail("boxes must be [num_boxes, 4], not " + shapeString(node.shape(0)));
  int64_t n = node.shape(0)[0];
  if (node.rank(1) != 1 || node.shape(1)[0] != n)
    return node.fail("scores must be [" + llvm::Twine(n) + "], not " + shapeString(node.shape(1)));
  for (int i : {0, 1})
    if (node.dtype(i) != DType::F32)
      return node.fail("input " + llvm::Twine(i) + " must be float32");
  for (int i = 3; i <= (hasScoreThreshold ? 4 : 3); ++i)
    if (llvm::Error err = checkScalar(node, i))
      return std::move(err);
  auto maxOut = node.constInts(2, "max_output_size");
  if (!maxOut)
    return maxOut.takeError();
  if (maxOut->size() != 1 || (*maxOut)[0] < 1 || (*maxOut)[0] > kMaxOutputs)
    return node.fail("max_output_size must be one value from 1 to " + llvm::Twine(kMaxOutputs) +
                     " (Kiln unrolls the selection once per output)");
  return (*maxOut)[0];
}

// The greedy selection, unrolled `m` times. `softScale` is -0.5 / sigma, 0
// for hard NMS.
Selection selectBoxes(OpContext &node, int64_t m, bool hasScoreThreshold, double softScale) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  int64_t n = node.shape(0)[0];
  Type f32 = b.getF32Type(), i1 = b.getI1Type(), i32 = b.getI32Type();
  Value boxes = node.value(0);
  if (import::isBounded(boxes))
    boxes = fillPastCount(node, boxes, n, 0);
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

  double inf = std::numeric_limits<double>::infinity();
  Value negInf = splatConstant(b, loc, f32, -inf, {1});
  Value iouThreshold = reshape(b, loc, node.value(3), {1});
  // V2 has no score threshold: TF.js's default is -inf.
  Value scoreThreshold = hasScoreThreshold ? reshape(b, loc, node.value(4), {1}) : negInf;
  Value scores = node.value(1);
  if (import::isBounded(scores))
    scores = fillPastCount(node, scores, n, -inf);
  scores =
      select(b, loc, binary<tosa::GreaterOp>(b, loc, scores, scoreThreshold, i1), scores, negInf);
  std::vector<int64_t> iotaValues(n);
  for (int64_t i = 0; i < n; ++i)
    iotaValues[i] = i;
  Value iota = i32Constant(node, iotaValues, {n});
  Value zeroIndex = splatConstant(b, loc, i32, 0, {1});
  Value scale = splatConstant(b, loc, f32, softScale, {1});

  llvm::SmallVector<Value> indices, kept, valid;
  for (int64_t k = 0; k < m; ++k) {
    Value row = reshape(b, loc, scores, {1, n});
    Value index =
        b.create<tosa::ArgMaxOp>(loc, tensorOf({1}, i32), row, b.getI32IntegerAttr(1)).getResult();
    Value best = reshape(b, loc, reduce<tosa::ReduceMaxOp>(b, loc, row, 1), {1});
    Value isValid = binary<tosa::GreaterOp>(b, loc, best, negInf, i1);
    Value box = b.create<tosa::GatherOp>(loc, tensorOf({1, 1, 5}, f32), table,
                                         reshape(b, loc, index, {1, 1}))
                    .getResult();
    box = reshape(b, loc, box, {5});
    auto boxAt = [&](int64_t c) { return slice(b, loc, box, {c}, {1}); };
    auto overlap = [&](Value lo, Value hi, int64_t loC, int64_t hiC) {
      Value top = binary<tosa::MinimumOp>(b, loc, hi, boxAt(hiC));
      Value bottom = binary<tosa::MaximumOp>(b, loc, lo, boxAt(loC));
      return binary<tosa::MaximumOp>(b, loc, binary<tosa::SubOp>(b, loc, top, bottom), zero);
    };
    Value inter = mul(b, loc, overlap(ymin, ymax, 0, 2), overlap(xmin, xmax, 1, 3));
    Value boxArea = boxAt(4);
    Value unionArea =
        binary<tosa::SubOp>(b, loc, binary<tosa::AddOp>(b, loc, area, boxArea), inter);
    Value iou = mul(b, loc, inter, unary<tosa::ReciprocalOp>(b, loc, unionArea));
    // TF.js: an IoU with an empty (or inverted) box is 0.
    Value bothPositive = binary<tosa::LogicalAndOp>(
        b, loc, areaPositive, binary<tosa::GreaterOp>(b, loc, boxArea, zero, i1));
    iou = select(b, loc, bothPositive, iou, zero);
    Value suppressed = binary<tosa::LogicalOrOp>(
        b, loc, binary<tosa::GreaterEqualOp>(b, loc, iou, iouThreshold, i1),
        binary<tosa::EqualOp>(b, loc, iota, index, i1));
    scores = select(b, loc, suppressed, negInf, scores);
    if (softScale != 0) {
      // The survivors decay (an IoU of 0 multiplies by exactly 1) and drop
      // out at or below the score threshold, as TF.js drops a candidate.
      Value weight = unary<tosa::ExpOp>(b, loc, mul(b, loc, scale, mul(b, loc, iou, iou)));
      scores = mul(b, loc, scores, weight);
      scores = select(b, loc, binary<tosa::GreaterOp>(b, loc, scores, scoreThreshold, i1), scores,
                      negInf);
    }
    indices.push_back(select(b, loc, isValid, index, zeroIndex));
    kept.push_back(select(b, loc, isValid, best, zero));
    valid.push_back(isValid);
  }
  Selection s;
  s.indices = concat(b, loc, indices, 0);
  s.scores = concat(b, loc, kept, 0);
  s.valid = concat(b, loc, valid, 0);
  Value count = reduce<tosa::ReduceSumOp>(b, loc, castElements(b, loc, s.valid, i32), 0);
  s.count = reshape(b, loc, count, {});
  return s;
}

// V4 with pad_to_max_output_size: [max_output_size] indices and
// valid_outputs. Unpadded V4 is V3 with valid_outputs.
llvm::Error convertV4(OpContext &node) {
  auto m = checkInputs(node, true);
  if (!m)
    return m.takeError();
  bool padded = node.attrs().getBool("pad_to_max_output_size", false);
  // TF.js caps the selection at the boxes (nonMaxSuppSanityCheck) but pads
  // to max_output_size.
  Selection s = selectBoxes(node, padded ? *m : std::min(*m, node.shape(0)[0]), true, 0);
  node.setValue(0, padded
                       ? s.indices
                       : import::compact(node.builder(), node.loc(), s.indices, s.valid, 0).first);
  node.setValue(1, s.count);
  return llvm::Error::success();
}

// V2 (no score threshold) and V3: the selected indices, bounded.
llvm::Error convertV3(OpContext &node) {
  bool hasScoreThreshold = node.opType() != "NonMaxSuppressionV2";
  auto m = checkInputs(node, hasScoreThreshold);
  if (!m)
    return m.takeError();
  Selection s = selectBoxes(node, std::min(*m, node.shape(0)[0]), hasScoreThreshold, 0);
  node.setValue(0, import::compact(node.builder(), node.loc(), s.indices, s.valid, 0).first);
  return llvm::Error::success();
}

// V5: the selected indices and their scores, bounded, and valid_outputs
// (TF's third output; TF.js's executor gives only the first two).
llvm::Error convertV5(OpContext &node) {
  auto m = checkInputs(node, true);
  if (!m)
    return m.takeError();
  if (llvm::Error err = checkScalar(node, 5))
    return err;
  const Literal *sigma = node.literal(5);
  if (!sigma)
    return node.fail("soft_nms_sigma must be known at import (a constant): Kiln unrolls the "
                     "selection and decays scores only for a known sigma");
  // As TF.js: a sigma of 0 or less is hard NMS.
  double sigmaValue = sigma->at(0);
  double scale = sigmaValue > 0 ? -0.5 / sigmaValue : 0.0;
  Selection s = selectBoxes(node, std::min(*m, node.shape(0)[0]), true, scale);
  OpBuilder &b = node.builder();
  node.setValue(0, import::compact(b, node.loc(), s.indices, s.valid, 0).first);
  node.setValue(1, import::compact(b, node.loc(), s.scores, s.valid, 0).first);
  node.setValue(2, s.count);
  return llvm::Error::success();
}

} // namespace

void registerNmsOps(OpTable &table) {
  table.add("NonMaxSuppressionV2", convertV3, 4, 4);
  table.add("NonMaxSuppressionV3", convertV3, 5, 5);
  table.add("NonMaxSuppressionV4", convertV4, 5, 5);
  table.add("NonMaxSuppressionV5", convertV5, 6, 6);
}

} // namespace kiln::tfjs_import
