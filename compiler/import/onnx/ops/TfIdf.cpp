//===- TfIdf.cpp - TfIdfVectorizer on integer tokens ----------------------===//
//
// TfIdfVectorizer counts, in each row of integer tokens, the n-grams of its
// pool (pool_int64s; ngram_counts[i] is where the (i+1)-grams start in it).
// An n-gram with skip s is the tokens at i, i + (s + 1), ..., i + (n - 1)(s
// + 1); every n from min_gram_length to max_gram_length and every s from 0 to
// max_skip_count counts (1-grams once: a skip does not change them). Pool
// n-gram j lands in output column ngram_indexes[j]; mode TF gives the count,
// IDF the weight where the count is non-zero, TFIDF count x weight (weights
// default to 1).
//
// All of that is static but the tokens, so it is elementwise TOSA: for each
// (n, s), n strided views of the row compared with the pool's columns
// ([B, P, 1] == [1, 1, M] -> [B, P, M]), and-ed, summed over the positions;
// then a constant one-hot matmul puts pool n-gram j into column
// ngram_indexes[j]. String tokens (pool_strings) are not tensors Kiln
// compiles.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/Elements.h"
#include "compiler/import/onnx/Literal.h"
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <set>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// Compares above this many (batch x positions x pool n-grams) elements, per
// (n, skip), are refused: the lowering materialises them.
constexpr int64_t kMaxCompares = int64_t(1) << 24;

llvm::Error convertTfIdf(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  if (op.hasAttr("pool_strings"))
    return op.fail("string tokens (pool_strings) are not supported: Kiln compiles numeric "
                   "tensors only");
  Type element = op.elementType(0);
  if (!element.isInteger(32) && !element.isInteger(64))
    return op.fail("takes int32 or int64 tokens");
  if (op.rank(0) != 1 && op.rank(0) != 2)
    return op.fail("takes a 1-D or 2-D input, not rank " + llvm::Twine(op.rank(0)));
  std::vector<int64_t> pool = op.attrInts("pool_int64s"), starts = op.attrInts("ngram_counts"),
                       indexes = op.attrInts("ngram_indexes");
  std::vector<float> weights = op.attrFloats("weights");
  int64_t minN = op.attrInt("min_gram_length", 0), maxN = op.attrInt("max_gram_length", 0),
          maxSkip = op.attrInt("max_skip_count", 0);
  std::string mode = op.attrString("mode", "");
  if (mode != "TF" && mode != "IDF" && mode != "TFIDF")
    return op.fail("mode must be TF, IDF or TFIDF, not '" + mode + "'");
  if (minN < 1 || maxN < minN || maxSkip < 0)
    return op.fail("needs 1 <= min_gram_length <= max_gram_length and max_skip_count >= 0");
  if (starts.empty() || static_cast<int64_t>(starts.size()) < maxN)
    return op.fail("ngram_counts must give a start for every n-gram length up to "
                   "max_gram_length");
  // The pool n-grams of each length: [starts[i], next start) holds (i+1)-grams.
  std::vector<int64_t> count(starts.size());
  int64_t total = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t end = i + 1 < starts.size() ? starts[i + 1] : static_cast<int64_t>(pool.size());
    int64_t n = static_cast<int64_t>(i) + 1;
    if (starts[i] < 0 || end < starts[i] || end > static_cast<int64_t>(pool.size()) ||
        (end - starts[i]) % n != 0)
      return op.fail("ngram_counts does not split pool_int64s into whole n-grams");
    count[i] = (end - starts[i]) / n;
    total += count[i];
  }
  if (static_cast<int64_t>(indexes.size()) != total)
    return op.fail("ngram_indexes has " + llvm::Twine(indexes.size()) +
                   " entries; the pool holds " + llvm::Twine(total) + " n-grams");
  if (!weights.empty() && static_cast<int64_t>(weights.size()) != total)
    return op.fail("weights has " + llvm::Twine(weights.size()) + " entries, not one per pool " +
                   "n-gram (" + llvm::Twine(total) + ")");
  int64_t columns = 0;
  std::set<int64_t> seen;
  for (int64_t index : indexes) {
    if (index < 0 || !seen.insert(index).second)
      return op.fail("ngram_indexes must be distinct and non-negative");
    columns = std::max(columns, index + 1);
  }

  bool batched = op.rank(0) == 2;
  int64_t rows = batched ? op.shape(0)[0] : 1, length = op.shape(0).back();
  Value x = reshape(b, loc, op.value(0), {rows, length});
  Type f32 = b.getF32Type(), i1 = b.getI1Type();
  // counts[j]: pool n-gram j's count, [rows, 1, count] per length.
  std::vector<Value> perLength;
  for (int64_t n = 1; n <= static_cast<int64_t>(starts.size()); ++n) {
    int64_t m = count[n - 1];
    if (m == 0)
      continue;
    Value sum;
    if (n >= minN && n <= maxN) {
      for (int64_t skip = 0; skip <= (n == 1 ? 0 : maxSkip); ++skip) {
        int64_t positions = length - (n - 1) * (skip + 1);
        if (positions <= 0)
          break;
        if (rows * positions * m > kMaxCompares)
          return op.fail("counting " + llvm::Twine(m) + " " + llvm::Twine(n) + "-grams over " +
                         llvm::Twine(rows * positions) + " positions is above Kiln's " +
                         llvm::Twine(kMaxCompares) + " compares");
        Value match;
        for (int64_t k = 0; k < n; ++k) {
          Value view = slice(b, loc, x, {0, k * (skip + 1)}, {rows, positions});
          view = reshape(b, loc, view, {rows, positions, 1});
          std::vector<int64_t> column(m);
          for (int64_t g = 0; g < m; ++g)
            column[g] = pool[starts[n - 1] + g * n + k];
          Value want = intConstant(b, loc, column, {1, 1, m}, element);
          Value eq = binary<tosa::EqualOp>(b, loc, view, want, i1);
          match = match ? binary<tosa::LogicalAndOp>(b, loc, match, eq) : eq;
        }
        Value found = reduce<tosa::ReduceSumOp>(b, loc, castElements(b, loc, match, f32), 1);
        sum = sum ? binary<tosa::AddOp>(b, loc, sum, found) : found;
      }
    }
    perLength.push_back(sum ? sum : splatConstant(b, loc, f32, 0, {rows, 1, m}));
  }
  Value counts = perLength.size() == 1 ? perLength[0] : concat(b, loc, perLength, 2);

  // Mode, then pool n-gram j to column ngram_indexes[j] (a one-hot matmul,
  // exact: one non-zero term per output).
  std::vector<double> w(total, 1.0);
  for (size_t j = 0; j < weights.size(); ++j)
    w[j] = weights[j];
  Value weightRow = op.constant(Literal::fromDoubles(kFloat, {1, 1, total}, w), "tfidf_weights");
  if (mode == "IDF") {
    Value zero = splatConstant(b, loc, f32, 0, {1, 1, 1});
    Value present = binary<tosa::GreaterOp>(b, loc, counts, zero, i1);
    counts = select(b, loc, present,
                    mul(b, loc, splatConstant(b, loc, f32, 1, {rows, 1, total}), weightRow),
                    splatConstant(b, loc, f32, 0, {rows, 1, total}));
  } else if (mode == "TFIDF") {
    counts = mul(b, loc, counts, weightRow);
  }
  std::vector<double> oneHot(total * columns, 0.0);
  for (int64_t j = 0; j < total; ++j)
    oneHot[j * columns + indexes[j]] = 1.0;
  Value place = op.constant(Literal::fromDoubles(kFloat, {1, total, columns}, oneHot), "tfidf_map");
  Value y = op.create<tosa::MatMulOp>(tensorOf({1, rows, columns}, f32),
                                      reshape(b, loc, counts, {1, rows, total}), place);
  op.setValue(
      0, reshape(b, loc, y,
                 batched ? std::vector<int64_t>{rows, columns} : std::vector<int64_t>{columns}));
  return llvm::Error::success();
}

} // namespace

void registerTfIdfOps(OpTable &table) { table.add("TfIdfVectorizer", convertTfIdf); }

} // namespace kiln::onnx_import
