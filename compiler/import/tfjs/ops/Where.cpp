//===- Where.cpp - Where (one input) and Unique: data-dependent lengths ----===//
//
// TF's one-input Where gives [num_true, rank] coordinates (int32 in TF.js,
// which runs int64 as int32): ONNX's NonZero transposed. Its length depends
// on the data, so it is a bounded value (docs/BOUNDED.md): a constant
// [n, rank] table of every element's coordinates, row-major, compacted by
// the input's elements taken as bools (non-zero, NaN included, is true, as
// TF.js casts).
//
// Unique and UniqueV2 give the distinct elements (slices along the axis) in
// order of first occurrence and, for each element, its slot among them:
// import::unique (compiler/import/common/Bounded.h, as ONNX Unique) in
// first-occurrence order, whose unique slices are compacted by their
// counts into a bounded output; the slots (TF.js: int32) have a static
// shape.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// The coordinate table grows as n x rank int32: beyond this, a clear error
// rather than a huge constant.
constexpr int64_t kMaxWhereElements = 1 << 20;

llvm::Error convertWhere(OpContext &node) {
  llvm::ArrayRef<int64_t> shape = node.shape(0);
  int64_t rank = shape.size(), n = numElements(shape);
  if (rank == 0)
    return node.fail("the condition must have rank 1 or more");
  if (n == 0)
    return node.fail("the condition is empty; Kiln does not support empty outputs");
  if (n > kMaxWhereElements)
    return node.fail("the condition has " + llvm::Twine(n) +
                     " elements; Kiln's Where takes at most " + llvm::Twine(kMaxWhereElements));
  std::vector<int64_t> coords(n * rank);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = rank - 1, rest = i; d >= 0; --d) {
      coords[i * rank + d] = rest % shape[d];
      rest /= shape[d];
    }
  OpBuilder &b = node.builder();
  Value table = i32Constant(node, coords, {n, rank});
  Value mask = reshape(b, node.loc(), node.value(0), {n});
  node.setValue(0, import::compact(b, node.loc(), table, mask, 0).first);
  return llvm::Error::success();
}

llvm::Error convertUnique(OpContext &node) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  llvm::ArrayRef<int64_t> shape = node.shape(0);
  int64_t axis = 0;
  if (node.numInputs() > 1) {
    auto axes = node.constInts(1, "axis");
    if (!axes)
      return axes.takeError();
    if (axes->size() != 1)
      return node.fail("axis must hold one value");
    auto normalized = node.normalizeAxis((*axes)[0], shape.size());
    if (!normalized)
      return normalized.takeError();
    axis = *normalized;
  } else if (shape.size() != 1) {
    return node.fail("x must be 1-D, not " + shapeString(shape));
  }
  auto unique =
      import::unique(b, loc, node.value(0), axis, /*sorted=*/false, import::kUniqueValues, "x");
  if (!unique)
    return unique.takeError();
  node.setValue(0, unique->values);
  node.setValue(1, castElements(b, loc, unique->inverse, b.getI32Type()));
  return llvm::Error::success();
}

} // namespace

// SelectV2-style Where with three inputs is TF's Select, converted there.
void registerWhereOps(OpTable &table) {
  table.add("Where", convertWhere, 1, 1);
  table.add("Unique", convertUnique, 1, 1);
  table.add("UniqueV2", convertUnique, 2, 2);
}

} // namespace kiln::tfjs_import
