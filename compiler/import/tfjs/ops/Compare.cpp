//===- Compare.cpp - comparisons, logical ops, Select ---------------------===//
//
// Comparisons give i1 tensors. TOSA has equal, greater and greater_equal;
// the others swap operands or negate. Known operands fold on the host.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <type_traits>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

enum class Compare { Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual };

bool compareHost(Compare kind, double a, double b) {
  switch (kind) {
  case Compare::Equal:
    return a == b;
  case Compare::NotEqual:
    return a != b;
  case Compare::Greater:
    return a > b;
  case Compare::GreaterEqual:
    return a >= b;
  case Compare::Less:
    return a < b;
  case Compare::LessEqual:
    return a <= b;
  }
  return false;
}

// Folds a binary op whose operands are both known: `fn` of each broadcast
// pair of elements, a literal of `dtype`. Comparisons must fold so that a
// TF1 while_loop's condition folds and the loop unrolls.
template <typename Fn>
void foldBinary(OpContext &node, const std::vector<int64_t> &shape, DType dtype, Fn fn) {
  Literal a = node.literal(0)->broadcastTo(shape), b = node.literal(1)->broadcastTo(shape);
  std::vector<int64_t> out(a.size());
  for (int64_t i = 0; i < a.size(); ++i)
    out[i] = fn(a, b, i);
  node.setLiteral(0, Literal::fromInts(dtype, shape, std::move(out)));
}

llvm::Error convertCompare(OpContext &node, Compare kind) {
  if (node.dtype(0) != node.dtype(1))
    return node.fail("operands have different element types");
  auto shape = broadcastShapes(node.shape(0), node.shape(1));
  if (!shape)
    return node.fail(llvm::toString(shape.takeError()));
  if (node.allInputsFoldable()) {
    foldBinary(node, *shape, DType::Bool, [&](const Literal &a, const Literal &b, int64_t i) {
      return compareHost(kind, a.at(i), b.at(i));
    });
    return llvm::Error::success();
  }
  int64_t rank = shape->size();
  Value a = node.valueWithRank(0, rank), b = node.valueWithRank(1, rank);
  Type i1 = node.builder().getI1Type();
  Value out;
  switch (kind) {
  case Compare::Equal:
  case Compare::NotEqual:
    out = binary<tosa::EqualOp>(node.builder(), node.loc(), a, b, i1);
    break;
  case Compare::Greater:
    out = binary<tosa::GreaterOp>(node.builder(), node.loc(), a, b, i1);
    break;
  case Compare::GreaterEqual:
    out = binary<tosa::GreaterEqualOp>(node.builder(), node.loc(), a, b, i1);
    break;
  case Compare::Less: // a < b is b > a
    out = binary<tosa::GreaterOp>(node.builder(), node.loc(), b, a, i1);
    break;
  case Compare::LessEqual:
    out = binary<tosa::GreaterEqualOp>(node.builder(), node.loc(), b, a, i1);
    break;
  }
  if (kind == Compare::NotEqual)
    out = node.create<tosa::LogicalNotOp>(out.getType(), out);
  node.setValue(0, out);
  return llvm::Error::success();
}

template <Compare Kind> llvm::Error convert(OpContext &node) { return convertCompare(node, Kind); }

llvm::Error requireBool(OpContext &node) {
  for (int i = 0; i < node.numInputs(); ++i)
    if (node.dtype(i) != DType::Bool)
      return node.fail("operands must be bool, not " + dtypeName(node.dtype(i)));
  return llvm::Error::success();
}

template <typename OpTy> llvm::Error convertLogical(OpContext &node) {
  if (llvm::Error err = requireBool(node))
    return err;
  auto shape = broadcastShapes(node.shape(0), node.shape(1));
  if (!shape)
    return node.fail(llvm::toString(shape.takeError()));
  // Known operands fold, as comparisons do: a TF1 while_loop's condition is
  // `counter < maximum_iterations && i < n`, which must fold to unroll it.
  if (node.allInputsFoldable()) {
    foldBinary(node, *shape, DType::Bool, [](const Literal &a, const Literal &b, int64_t i) {
      return std::is_same_v<OpTy, tosa::LogicalAndOp> ? (a.intAt(i) && b.intAt(i))
                                                      : (a.intAt(i) || b.intAt(i));
    });
    return llvm::Error::success();
  }
  int64_t rank = shape->size();
  node.setValue(0, binary<OpTy>(node.builder(), node.loc(), node.valueWithRank(0, rank),
                                node.valueWithRank(1, rank)));
  return llvm::Error::success();
}

llvm::Error convertLogicalNot(OpContext &node) {
  if (llvm::Error err = requireBool(node))
    return err;
  if (const Literal *h = node.literal(0); h && h->size() <= kMaxFoldElements) {
    std::vector<int64_t> out(h->size());
    for (int64_t i = 0; i < h->size(); ++i)
      out[i] = !h->intAt(i);
    node.setLiteral(0, Literal::fromInts(DType::Bool,
                                         std::vector<int64_t>(h->shape().begin(), h->shape().end()),
                                         std::move(out)));
    return llvm::Error::success();
  }
  Value x = node.value(0);
  node.setValue(0, node.create<tosa::LogicalNotOp>(x.getType(), x));
  return llvm::Error::success();
}

// BitwiseAnd is int32 only in TF.js (tfjs-core's bitwiseAnd refuses other
// dtypes); every integer tensor of this importer is int32 anyway.
llvm::Error convertBitwiseAnd(OpContext &node) {
  for (int i = 0; i < 2; ++i)
    if (node.dtype(i) != DType::I32)
      return node.fail("operands must be int32, not " + dtypeName(node.dtype(i)));
  auto shape = broadcastShapes(node.shape(0), node.shape(1));
  if (!shape)
    return node.fail(llvm::toString(shape.takeError()));
  if (node.allInputsFoldable()) {
    foldBinary(node, *shape, DType::I32, [](const Literal &a, const Literal &b, int64_t i) {
      return static_cast<int32_t>(a.intAt(i)) & static_cast<int32_t>(b.intAt(i));
    });
    return llvm::Error::success();
  }
  int64_t rank = shape->size();
  node.setValue(0,
                binary<tosa::BitwiseAndOp>(node.builder(), node.loc(), node.valueWithRank(0, rank),
                                           node.valueWithRank(1, rank)));
  return llvm::Error::success();
}

// SelectV2 broadcasts all three operands; the old Select also takes a
// condition of the same shape (its row-vector form is not supported).
llvm::Error convertSelect(OpContext &node) {
  if (node.dtype(0) != DType::Bool)
    return node.fail("the condition must be bool");
  if (node.dtype(1) != node.dtype(2))
    return node.fail("the two branches have different element types");
  if (node.opType() == "Select" && node.shape(0) != node.shape(1) && node.rank(0) != 0)
    return node.fail("Select with a condition of shape " + shapeString(node.shape(0)) +
                     " for values of shape " + shapeString(node.shape(1)) + " is not supported");
  auto shape = broadcastShapes(node.shape(1), node.shape(2));
  if (shape)
    shape = broadcastShapes(node.shape(0), *shape);
  if (!shape)
    return node.fail(llvm::toString(shape.takeError()));
  int64_t rank = shape->size();
  node.setValue(0, select(node.builder(), node.loc(), node.valueWithRank(0, rank),
                          node.valueWithRank(1, rank), node.valueWithRank(2, rank)));
  return llvm::Error::success();
}

} // namespace

void registerCompareOps(OpTable &table) {
  table.add("Equal", convert<Compare::Equal>, 2, 2);
  table.add("NotEqual", convert<Compare::NotEqual>, 2, 2);
  table.add("Greater", convert<Compare::Greater>, 2, 2);
  table.add("GreaterEqual", convert<Compare::GreaterEqual>, 2, 2);
  table.add("Less", convert<Compare::Less>, 2, 2);
  table.add("LessEqual", convert<Compare::LessEqual>, 2, 2);
  table.add("LogicalAnd", convertLogical<tosa::LogicalAndOp>, 2, 2);
  table.add("LogicalOr", convertLogical<tosa::LogicalOrOp>, 2, 2);
  table.add("LogicalNot", convertLogicalNot, 1, 1);
  table.add("BitwiseAnd", convertBitwiseAnd, 2, 2);
  table.add("Select", convertSelect, 3, 3);
  table.add("SelectV2", convertSelect, 3, 3);
}

} // namespace kiln::tfjs_import
