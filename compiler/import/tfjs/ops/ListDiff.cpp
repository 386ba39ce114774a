//===- ListDiff.cpp - ListDiff (tf.setdiff1d): a bounded pair -------------===//
//
// ListDiff(x, y) gives the elements of the 1-D x that are not in y, in x's
// order, and their positions in x: a length that depends on the data, so
// both outputs are bounded values (docs/BOUNDED.md), x and its positions
// compacted by one mask. The mask compares every element of x with every
// element of y ([n, m], meant for the short lists models diff). TF.js
// tests membership with a JavaScript Set (SameValueZero): NaN is in a y
// that holds a NaN, and -0 equals 0, which is what equality plus a NaN
// test gives here.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <numeric>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// Compares of every x with every y: beyond this, an error with the size.
constexpr int64_t kMaxListDiffCompares = int64_t(1) << 24;

llvm::Error convertListDiff(OpContext &node) {
  if (node.rank(0) != 1 || node.rank(1) != 1)
    return node.fail("x and y must be 1-D, not " + shapeString(node.shape(0)) + " and " +
                     shapeString(node.shape(1)));
  if (node.dtype(0) != node.dtype(1))
    return node.fail("x is " + dtypeName(node.dtype(0)) + " and y " + dtypeName(node.dtype(1)) +
                     "; they must be the same type");
  if (node.dtype(0) == DType::Bool)
    return node.fail("bool lists are not supported (int32 or float32)");
  int64_t n = node.shape(0)[0], m = node.shape(1)[0];
  if (n == 0)
    return node.fail("x is empty; Kiln does not support empty outputs");
  if (double(n) * double(m) > double(kMaxListDiffCompares))
    return node.fail("comparing " + llvm::Twine(n) + " elements with " + llvm::Twine(m) +
                     " takes more than 2^24 compares");
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Type i1 = b.getI1Type();
  Value x = node.value(0);
  Value mask;
  if (m == 0) {
    mask = splatConstant(b, loc, i1, 1, {n});
  } else {
    Value xs = reshape(b, loc, x, {n, 1}), ys = reshape(b, loc, node.value(1), {1, m});
    Value same = binary<tosa::EqualOp>(b, loc, xs, ys, i1);
    if (node.dtype(0) == DType::F32) {
      auto isNan = [&](Value v) {
        return unary<tosa::LogicalNotOp>(b, loc, binary<tosa::EqualOp>(b, loc, v, v, i1));
      };
      same = binary<tosa::LogicalOrOp>(
          b, loc, same, binary<tosa::LogicalAndOp>(b, loc, isNan(xs), isNan(ys), i1), i1);
    }
    Value found = reduce<tosa::ReduceAnyOp>(b, loc, same, 1);
    mask = reshape(b, loc, unary<tosa::LogicalNotOp>(b, loc, found), {n});
  }
  std::vector<int64_t> positions(n);
  std::iota(positions.begin(), positions.end(), 0);
  node.setValue(0, import::compact(b, loc, x, mask, 0).first);
  node.setValue(1, import::compact(b, loc, i32Constant(node, positions, {n}), mask, 0).first);
  return llvm::Error::success();
}

} // namespace

void registerListDiffOps(OpTable &table) { table.add("ListDiff", convertListDiff, 2, 2); }

} // namespace kiln::tfjs_import
