//===- Bounded.cpp - NonZero, Compress, NonMaxSuppression: data-dependent length ===//
//
// Both are one kiln.compact (compiler/import/common/Bounded.h): the output
// is sized for its bound (every element selected) and its true length is
// counted at run time. NonZero compacts the coordinates of every element
// ([rank, N], a constant) by the mask x != 0 along axis 1; Compress compacts
// the input (flattened without an axis) by its condition.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/Bounded.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <cstdio>
#include <limits>

using namespace mlir;

namespace kiln::onnx_import {

llvm::Expected<int64_t> axisOrFlattened(OpContext &op, Value &input) {
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  input = op.value(0);
  if (!op.hasAttr("axis")) {
    input = reshape(op.builder(), op.loc(), input, {numElements(shape)});
    return 0;
  }
  if (shape.empty())
    return op.fail("axis is given but X is a scalar");
  return op.normalizeAxis(op.attrInt("axis", 0), shape.size());
}

namespace {

// The coordinate table grows as rank x N int64: beyond this, a clear error
// rather than a huge constant.
constexpr int64_t kMaxNonZeroElements = 1 << 20;

llvm::Error convertNonZero(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  int64_t rank = shape.size(), n = numElements(shape);
  if (rank == 0)
    return op.fail("X must have rank 1 or more");
  if (n == 0)
    return op.fail("X is empty; Kiln does not support empty outputs");
  if (n > kMaxNonZeroElements)
    return op.fail("X has " + llvm::Twine(n) + " elements; Kiln's NonZero takes at most " +
                   llvm::Twine(kMaxNonZeroElements));
  std::vector<int64_t> coords(rank * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = rank - 1, rest = i; d >= 0; --d) {
      coords[d * n + i] = rest % shape[d];
      rest /= shape[d];
    }
  Value table = intConstant(b, loc, coords, {rank, n}, b.getI64Type());
  Value mask = reshape(b, loc, op.value(0), {n});
  op.setValue(0, import::compact(b, loc, table, mask, 1).first);
  return llvm::Error::success();
}

llvm::Error convertCompress(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  if (op.rank(1) != 1)
    return op.fail("condition must have rank 1, got shape " + shapeString(op.shape(1)));
  if (!op.type(1).getElementType().isInteger(1))
    return op.fail("condition must be bool");
  Value input;
  auto axisOr = axisOrFlattened(op, input);
  if (!axisOr)
    return axisOr.takeError();
  int64_t axis = *axisOr;
  int64_t extent = typeOf(input).getShape()[axis], length = op.shape(1)[0];
  if (length > extent)
    return op.fail("condition has " + llvm::Twine(length) + " elements, more than the " +
                   llvm::Twine(extent) + " of the input along the axis");
  if (extent == 0 || length == 0)
    return op.fail("empty input or condition; Kiln does not support empty outputs");
  op.setValue(0, import::compact(b, loc, input, op.value(1), axis).first);
  return llvm::Error::success();
}

// A scalar input that must be known at import (NMS's limits), or `absent`.
llvm::Expected<double> constScalar(OpContext &op, int i, llvm::StringRef what, double absent) {
  if (!op.hasInput(i))
    return absent;
  const Literal *literal = op.literal(i);
  if (!literal)
    return op.fail(what + " must be a constant (an initializer or a Constant node)");
  if (literal->size() != 1)
    return op.fail(what + " must hold one value");
  return literal->doubleAt(0);
}

// NonMaxSuppression as tosa.custom "kiln.nms" (codegen/halide/emit/Bounded.cpp):
// the selection [batches x classes x min(max_output, boxes), 3] sized for its
// bound, and its count. The limits are compile-time constants, written
// exactly (hexadecimal floats) in implementation_attrs.
llvm::Error convertNonMaxSuppression(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  llvm::ArrayRef<int64_t> boxes = op.shape(0), scores = op.shape(1);
  if (boxes.size() != 3 || boxes[2] != 4 || scores.size() != 3 || scores[0] != boxes[0] ||
      scores[2] != boxes[1])
    return op.fail("boxes must be [batches, boxes, 4] and scores [batches, classes, boxes], got " +
                   shapeString(boxes) + " and " + shapeString(scores));
  if (!op.type(0).getElementType().isF32() || !op.type(1).getElementType().isF32())
    return op.fail("boxes and scores must be float32");
  auto maxOutput = constScalar(op, 2, "max_output_boxes_per_class", 0);
  if (!maxOutput)
    return maxOutput.takeError();
  auto iou = constScalar(op, 3, "iou_threshold", 0);
  if (!iou)
    return iou.takeError();
  auto score = constScalar(op, 4, "score_threshold", -std::numeric_limits<double>::infinity());
  if (!score)
    return score.takeError();
  int64_t perClass = std::min<int64_t>(static_cast<int64_t>(*maxOutput), boxes[1]);
  if (perClass <= 0 || boxes[1] == 0)
    return op.fail("max_output_boxes_per_class = " + llvm::Twine(int64_t(*maxOutput)) +
                   " or no boxes gives an empty output; Kiln does not support empty outputs");
  int64_t bound = boxes[0] * scores[1] * perClass;
  char attrs[160];
  std::snprintf(attrs, sizeof attrs, "center=%d;max=%lld;iou=%a;score=%a",
                op.attrInt("center_point_box", 0) != 0 ? 1 : 0, static_cast<long long>(perClass),
                float(*iou), float(*score));
  Type types[] = {tensorOf({bound, 3}, b.getI64Type()), tensorOf({1}, b.getI64Type())};
  auto nms = b.create<tosa::CustomOp>(loc, TypeRange(types), import::kNmsOp, "kiln", attrs,
                                      ValueRange{op.value(0), op.value(1)});
  op.setValue(0, nms->getResult(0));
  return llvm::Error::success();
}

} // namespace

void registerBoundedOps(OpTable &table) {
  table.add("NonZero", convertNonZero);
  table.add("Compress", convertCompress);
  table.add("NonMaxSuppression", convertNonMaxSuppression);
}

} // namespace kiln::onnx_import
