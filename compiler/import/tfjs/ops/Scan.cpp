//===- Scan.cpp - Cumsum, Cumprod, TopKV2, LowerBound, UpperBound, Bincount -===//
//
// Ops that scan or count along an axis, built from slices, comparisons and
// reductions with sizes known at import:
// - Cumsum and Cumprod: a running sum or product over slices along the
//   axis, in TF.js's order (so float sums round as TF.js's do); up to
//   kMaxScan slices (compiler/import/common/Scan.h, shared with ONNX CumSum).
// - TopKV2: k rounds of "take the maximum and its first index, then mask it
//   out" along the last axis: TF.js's order, ties to the lower index.
// - LowerBound, UpperBound: how many of each row's sorted values are below
//   (or not above) each value: a broadcast comparison and a sum.
// - Bincount, DenseBincount (1-D): a comparison with every bin and a sum.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Scan.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Count.h"
#include "compiler/import/tfjs/ops/OpTable.h"
#include "compiler/import/tfjs/ops/Sort.h"

#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

using import::kMaxScan;

llvm::Error convertCumulative(OpContext &node) {
  if (node.dtype(0) == DType::Bool)
    return node.fail("a cumulative op over bool is not supported");
  const Literal *axisValue = node.literal(1);
  if (!axisValue || axisValue->size() != 1)
    return node.fail("axis must be a known scalar");
  auto axis = node.normalizeAxis(axisValue->intAt(0), node.rank(0));
  if (!axis)
    return axis.takeError();
  import::CumulativeOptions options;
  options.product = node.opType() == "Cumprod";
  options.exclusive = node.attrs().getBool("exclusive", false);
  options.reverse = node.attrs().getBool("reverse", false);
  auto y = import::cumulative(node.builder(), node.loc(), node.value(0), *axis, options);
  if (!y)
    return node.fail(llvm::toString(y.takeError()));
  node.setValue(0, *y);
  return llvm::Error::success();
}

llvm::Error convertTopK(OpContext &node) {
  if (node.dtype(0) == DType::Bool || node.rank(0) < 1)
    return node.fail("TopKV2 takes a float32 or int32 tensor of rank 1 or more");
  const Literal *kValue = node.literal(1);
  if (!kValue && countSource(node.value(1))) // k = a run-time length (ops/Sort.h)
    return topKOfCount(node);
  if (!kValue || kValue->size() != 1)
    return node.fail("k must be a known scalar");
  int64_t k = kValue->intAt(0), rank = node.rank(0), n = node.shape(0).back();
  if (k > kMaxScan && k <= n) // a whole-list sort: by rank (ops/Sort.h)
    return topKByRank(node, k);
  if (k < 1 || k > n || k > kMaxScan)
    return node.fail("k = " + llvm::Twine(k) + " must be in 1.." +
                     llvm::Twine(std::min(n, kMaxScan)) + " for a last dimension of " +
                     llvm::Twine(n));
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Type i1 = b.getI1Type(), i32 = b.getI32Type();
  std::vector<int64_t> iota;
  for (int64_t i = 0; i < n; ++i)
    iota.push_back(i);
  std::vector<int64_t> iotaShape(rank, 1), keptShape(node.shape(0).begin(), node.shape(0).end());
  iotaShape.back() = n;
  keptShape.back() = 1;
  Value positions = i32Constant(node, iota, iotaShape);
  // Taken positions are tracked apart from the values: masking them with the
  // lowest value would let a row's own -inf (or INT32_MIN) tie with them, and
  // the first index of the maximum could then be one already taken.
  double lowest = node.dtype(0) == DType::F32 ? -std::numeric_limits<double>::infinity()
                                              : std::numeric_limits<int32_t>::min();
  Value x = node.value(0), masked = scalarLike(b, loc, x, lowest);
  Value past = splatConstant(b, loc, i32, n, std::vector<int64_t>(rank, 1));
  Value taken;
  std::vector<Value> values, indices;
  for (int64_t j = 0; j < k; ++j) {
    Value open = x;
    if (taken)
      open = select(b, loc, taken, masked, x);
    Value best = reduce<tosa::ReduceMaxOp>(b, loc, open, rank - 1);
    Value candidate = binary<tosa::EqualOp>(b, loc, open, best, i1);
    if (taken)
      candidate =
          binary<tosa::LogicalAndOp>(b, loc, candidate, unary<tosa::LogicalNotOp>(b, loc, taken));
    // The first untaken position holding the maximum: TF.js's order. A row
    // whose maximum is NaN matches no position: the index is then clamped to
    // the last one (in range, but not TF.js's answer).
    Value index =
        reduce<tosa::ReduceMinOp>(b, loc, select(b, loc, candidate, positions, past), rank - 1);
    index = binary<tosa::MinimumOp>(
        b, loc, index, splatConstant(b, loc, i32, n - 1, std::vector<int64_t>(rank, 1)));
    values.push_back(best);
    indices.push_back(index);
    if (j + 1 < k) {
      Value now = binary<tosa::EqualOp>(b, loc, positions, index, i1);
      taken = taken ? binary<tosa::LogicalOrOp>(b, loc, taken, now) : now;
    }
  }
  node.setValue(0, values.size() == 1 ? values[0] : concat(b, loc, values, rank - 1));
  node.setValue(1, indices.size() == 1 ? indices[0] : concat(b, loc, indices, rank - 1));
  return llvm::Error::success();
}

// LowerBound / UpperBound(sorted [B, N], values [B, M]) -> [B, M] int32.
llvm::Error convertBound(OpContext &node) {
  if (node.rank(0) != 2 || node.rank(1) != 2 || node.shape(0)[0] != node.shape(1)[0])
    return node.fail("sorted " + shapeString(node.shape(0)) + " and values " +
                     shapeString(node.shape(1)) + " must be 2-D with one batch size");
  if (node.dtype(0) != node.dtype(1) || node.dtype(0) == DType::Bool)
    return node.fail("sorted and values must be float32 or int32 alike");
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  int64_t batch = node.shape(0)[0], n = node.shape(0)[1], m = node.shape(1)[1];
  Value sorted = reshape(b, loc, node.value(0), {batch, 1, n});
  Value values = reshape(b, loc, node.value(1), {batch, m, 1});
  Type i1 = b.getI1Type();
  Value below = node.opType() == "LowerBound"
                    ? binary<tosa::GreaterOp>(b, loc, values, sorted, i1)
                    : binary<tosa::GreaterEqualOp>(b, loc, values, sorted, i1);
  Value count = reduce<tosa::ReduceSumOp>(b, loc, castElements(b, loc, below, b.getI32Type()), 2);
  node.setValue(0, reshape(b, loc, count, {batch, m}));
  return llvm::Error::success();
}

// Bincount(x, size, weights) and DenseBincount(x, size, weights): 1-D x;
// empty weights count. The output has the weights' type.
llvm::Error convertBincount(OpContext &node) {
  if (node.rank(0) != 1 || node.dtype(0) != DType::I32)
    return node.fail("x must be a 1-D int32 tensor (Kiln counts 1-D input only)");
  const Literal *sizeValue = node.literal(1);
  if (!sizeValue || sizeValue->size() != 1)
    return node.fail("size must be a known scalar");
  int64_t size = sizeValue->intAt(0), n = node.shape(0)[0];
  if (size < 1 || size > kMaxFoldElements)
    return node.fail("size " + llvm::Twine(size) + " is outside 1.." +
                     llvm::Twine(kMaxFoldElements));
  bool weighted = numElements(node.shape(2)) != 0;
  if (weighted && node.shape(2) != node.shape(0))
    return node.fail("weights " + shapeString(node.shape(2)) + " must match x " +
                     shapeString(node.shape(0)));
  if (node.dtype(2) == DType::Bool)
    return node.fail("bool weights are not supported");
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  std::vector<int64_t> bins;
  for (int64_t i = 0; i < size; ++i)
    bins.push_back(i);
  Value hit = binary<tosa::EqualOp>(b, loc, reshape(b, loc, node.value(0), {n, 1}),
                                    i32Constant(node, bins, {1, size}), b.getI1Type());
  Type element = node.elementType(2);
  bool binary = node.attrs().getBool("binary_output", false);
  Value counted;
  if (weighted && !binary)
    counted = select(b, loc, hit, reshape(b, loc, node.value(2), {n, 1}),
                     splatConstant(b, loc, element, 0, {1, 1}));
  else
    counted = castElements(b, loc, hit, element);
  Value sum = binary ? castElements(b, loc, reduce<tosa::ReduceAnyOp>(b, loc, hit, 0), element)
                     : reduce<tosa::ReduceSumOp>(b, loc, counted, 0);
  node.setValue(0, reshape(b, loc, sum, {size}));
  return llvm::Error::success();
}

} // namespace

void registerScanOps(OpTable &table) {
  table.add("Cumsum", convertCumulative, 2, 2);
  table.add("Cumprod", convertCumulative, 2, 2);
  table.add("TopKV2", convertTopK, 2, 2);
  table.add("LowerBound", convertBound, 2, 2);
  table.add("UpperBound", convertBound, 2, 2);
  table.add("Bincount", convertBincount, 3, 3);
  table.add("DenseBincount", convertBincount, 3, 3);
}

} // namespace kiln::tfjs_import
