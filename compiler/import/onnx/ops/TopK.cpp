//===- TopK.cpp - TopK ------------------------------------------------------===//
//
// TopK with a constant k as k rounds of selection along the axis: the
// maximum (or minimum) of the elements not yet taken, then the lowest
// position holding it among those, which ONNX's order asks for (ties to the
// lower index). Keeping a mask of taken positions, rather than overwriting
// taken values with -inf, keeps rows that contain -inf (or the type's
// lowest integer) right. Each round is a few reductions over the axis, so
// this is for the small k models use (detections, classes); k up to
// kMaxTopK, a clear error above.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <numeric>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

constexpr int64_t kMaxTopK = 256;

llvm::Error convertTopK(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  int64_t rank = op.rank(0);
  if (rank < 1)
    return op.fail("X must have rank 1 or more");
  auto axis = op.normalizeAxis(op.attrInt("axis", -1), rank);
  if (!axis)
    return axis.takeError();
  int64_t k;
  if (op.opset() < 10) {
    k = op.attrInt("k", -1);
  } else {
    auto ks = op.constInts(1, "K");
    if (!ks)
      return ks.takeError();
    if (ks->size() != 1)
      return op.fail("K must hold one value");
    k = (*ks)[0];
  }
  int64_t n = op.shape(0)[*axis];
  if (k < 0 || k > n || k > kMaxTopK)
    return op.fail("k = " + llvm::Twine(k) + " must be from 0 to " +
                   llvm::Twine(std::min(n, kMaxTopK)) + " (the axis has " + llvm::Twine(n) +
                   " elements; Kiln selects at most " + llvm::Twine(kMaxTopK) + ")");
  if (k == 0)
    return op.fail("k = 0 gives empty outputs; Kiln does not support empty tensors");
  bool largest = op.attrInt("largest", 1) != 0;
  Type i1 = b.getI1Type(), i32 = b.getI32Type();

  llvm::SmallVector<int64_t> posShape(rank, 1);
  posShape[*axis] = n;
  std::vector<int64_t> iota(n);
  std::iota(iota.begin(), iota.end(), 0);
  Value positions = intConstant(b, loc, iota, posShape, i32);
  Value past = splatConstant(b, loc, i32, double(n), llvm::SmallVector<int64_t>(rank, 1));
  Value x = op.value(0);
  // The extreme value stands in for taken positions; which one they hold
  // does not matter, as the position test below skips them.
  Value taken; // i1, null before the first round
  llvm::SmallVector<Value> values, indices;
  for (int64_t j = 0; j < k; ++j) {
    Value candidates = x;
    if (taken) {
      Value filler = largest ? reduce<tosa::ReduceMinOp>(b, loc, x, *axis)
                             : reduce<tosa::ReduceMaxOp>(b, loc, x, *axis);
      candidates = select(b, loc, taken, filler, x);
    }
    Value best = largest ? reduce<tosa::ReduceMaxOp>(b, loc, candidates, *axis)
                         : reduce<tosa::ReduceMinOp>(b, loc, candidates, *axis);
    Value hit = binary<tosa::EqualOp>(b, loc, candidates, best, i1);
    if (taken)
      hit = binary<tosa::LogicalAndOp>(b, loc, hit, unary<tosa::LogicalNotOp>(b, loc, taken), i1);
    Value index = reduce<tosa::ReduceMinOp>(b, loc, select(b, loc, hit, positions, past), *axis);
    Value here = binary<tosa::EqualOp>(b, loc, positions, index, i1);
    taken = taken ? binary<tosa::LogicalOrOp>(b, loc, taken, here, i1) : here;
    values.push_back(best);
    indices.push_back(index);
  }
  op.setValue(0, values.size() == 1 ? values[0] : concat(b, loc, values, *axis));
  Value index = indices.size() == 1 ? indices[0] : concat(b, loc, indices, *axis);
  op.setValue(1, castElements(b, loc, index, b.getI64Type()));
  return llvm::Error::success();
}

} // namespace

void registerTopKOps(OpTable &table) { table.add("TopK", convertTopK); }

} // namespace kiln::onnx_import
