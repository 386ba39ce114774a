//===- Sort.cpp - TopKV2 by rank, for k past the unrolled rounds ----------===//
#include "compiler/import/tfjs/ops/Sort.h"

#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Count.h"
#include "compiler/import/tfjs/ops/FillPast.h"

#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {

namespace {

// The sort of `input` (shape `shape`), its first k of each row.
llvm::Error sortRows(OpContext &node, Value input, int64_t k, Value &valuesOut, Value &indicesOut) {
  llvm::ArrayRef<int64_t> shape = typeOf(input).getShape();
  int64_t n = shape.back(), rows = numElements(shape.drop_back());
  if (n > kMaxRankSort || rows * n * n > kMaxRankPairs)
    return node.fail("k = " + llvm::Twine(k) + " over " + llvm::Twine(rows) + " rows of " +
                     llvm::Twine(n) + ": Kiln sorts at most " + llvm::Twine(kMaxRankSort) +
                     " elements a row and " + llvm::Twine(kMaxRankPairs) + " pairs in all");
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Type i1 = b.getI1Type(), i32 = b.getI32Type();
  Value x = reshape(b, loc, input, {rows, n});
  Value xi = reshape(b, loc, x, {rows, n, 1}), xj = reshape(b, loc, x, {rows, 1, n});
  // before[r, i, j]: element j comes before element i (larger, or equal at a
  // lower index). A NaN is before nothing and nothing is before it, so rows
  // with NaNs get repeated ranks; the gathered index stays in range.
  std::vector<int64_t> lower(n * n), iota(n), ranks(k);
  for (int64_t i = 0; i < n; ++i) {
    iota[i] = i;
    for (int64_t j = 0; j < n; ++j)
      lower[i * n + j] = j < i;
  }
  for (int64_t p = 0; p < k; ++p)
    ranks[p] = p;
  Value lowerIndex = binary<tosa::GreaterOp>(b, loc, i32Constant(node, lower, {1, n, n}),
                                             splatConstant(b, loc, i32, 0, {1, 1, 1}), i1);
  Value before = binary<tosa::LogicalOrOp>(
      b, loc, binary<tosa::GreaterOp>(b, loc, xj, xi, i1),
      binary<tosa::LogicalAndOp>(b, loc, binary<tosa::EqualOp>(b, loc, xj, xi, i1), lowerIndex));
  Value rank = reduce<tosa::ReduceSumOp>(b, loc, castElements(b, loc, before, i32), 2);
  // Position p takes the index i whose rank is p: [rows, k, n] one-hot.
  Value hit = binary<tosa::EqualOp>(b, loc, reshape(b, loc, rank, {rows, 1, n}),
                                    i32Constant(node, ranks, {1, k, 1}), i1);
  Value index = reduce<tosa::ReduceSumOp>(b, loc,
                                          select(b, loc, hit, i32Constant(node, iota, {1, 1, n}),
                                                 splatConstant(b, loc, i32, 0, {1, 1, 1})),
                                          2);
  index = clamp(b, loc, reshape(b, loc, index, {rows, k}), 0, n - 1);
  Value values = b.create<tosa::GatherOp>(loc, tensorOf({rows, k, 1}, typeOf(x).getElementType()),
                                          reshape(b, loc, x, {rows, n, 1}), index);
  std::vector<int64_t> outShape(shape.begin(), shape.end());
  outShape.back() = k;
  valuesOut = reshape(b, loc, values, outShape);
  indicesOut = reshape(b, loc, index, outShape);
  return llvm::Error::success();
}

} // namespace

llvm::Error topKByRank(OpContext &node, int64_t k) {
  Value values, indices;
  if (llvm::Error err = sortRows(node, node.value(0), k, values, indices))
    return err;
  node.setValue(0, values);
  node.setValue(1, indices);
  return llvm::Error::success();
}

llvm::Error topKOfCount(OpContext &node) {
  Value x = node.value(0), kValue = node.value(1);
  int64_t rank = node.rank(0), n = node.shape(0).back();
  auto k = countExprs(kValue);
  auto refuse = [&](const llvm::Twine &why) {
    return node.fail("k depends on the run-time length of node '" +
                     countSource(kValue).value_or("?") + "': " + why + " (docs/BOUNDED.md)");
  };
  if (!k || k->size() != 1 || (*k)[0].isConstant())
    return refuse("Kiln cannot follow how");
  // Rows computed from bounded values hold nothing past their count; that
  // count must be k (the Object Detection API sorts its whole selection).
  llvm::SmallVector<Value> sources = boundedSources(x);
  for (Value s : sources) {
    auto length = countExprs(import::countOf(s));
    if (!length || length->size() != 1 || (*length)[0].count != (*k)[0].count ||
        (*length)[0].scale != (*k)[0].scale || (*length)[0].constant != (*k)[0].constant)
      return refuse("the sorted input is computed from node '" +
                    countSource(import::countOf(s)).value_or("?") +
                    "', whose run-time length is not k");
  }
  double lowest = node.dtype(0) == DType::F32 ? -std::numeric_limits<double>::infinity()
                                              : std::numeric_limits<int32_t>::min();
  // Ties sort by index, so the rows below k (lowest included) come first.
  if (!sources.empty())
    x = fillPastLength(node, x, rank - 1, kValue, lowest);
  Value values, indices;
  if (llvm::Error err = sortRows(node, x, n, values, indices))
    return err;
  // The first k: bounded, with a count that reads back as k.
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  std::vector<int64_t> iota(n);
  for (int64_t i = 0; i < n; ++i)
    iota[i] = i;
  Value length = reshape(b, loc, castElements(b, loc, kValue, b.getI32Type()), {1});
  Value mask = b.create<tosa::GreaterOp>(loc, tensorOf({n}, b.getI1Type()), length,
                                         intConstant(b, loc, iota, {n}, b.getI32Type()));
  node.setValue(0, import::compact(b, loc, values, mask, rank - 1).first);
  node.setValue(1, import::compact(b, loc, indices, mask, rank - 1).first);
  return llvm::Error::success();
}

} // namespace kiln::tfjs_import
