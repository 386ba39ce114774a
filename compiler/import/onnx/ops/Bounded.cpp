//===- Bounded.cpp - NonZero, Compress: outputs of data-dependent length --===//
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
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
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
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  if (op.rank(1) != 1)
    return op.fail("condition must have rank 1, got shape " + shapeString(op.shape(1)));
  if (!op.type(1).getElementType().isInteger(1))
    return op.fail("condition must be bool");
  Value input = op.value(0);
  int64_t axis = 0;
  if (op.hasAttr("axis")) {
    auto normalized = op.normalizeAxis(op.attrInt("axis", 0), shape.size());
    if (!normalized)
      return normalized.takeError();
    axis = *normalized;
  } else {
    input = reshape(b, loc, input, {numElements(shape)});
  }
  int64_t extent = typeOf(input).getShape()[axis], length = op.shape(1)[0];
  if (length > extent)
    return op.fail("condition has " + llvm::Twine(length) + " elements, more than the " +
                   llvm::Twine(extent) + " of the input along the axis");
  if (extent == 0 || length == 0)
    return op.fail("empty input or condition; Kiln does not support empty outputs");
  op.setValue(0, import::compact(b, loc, input, op.value(1), axis).first);
  return llvm::Error::success();
}

} // namespace

void registerBoundedOps(OpTable &table) {
  table.add("NonZero", convertNonZero);
  table.add("Compress", convertCompress);
}

} // namespace kiln::onnx_import
