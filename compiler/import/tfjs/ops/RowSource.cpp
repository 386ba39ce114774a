//===- RowSource.cpp - rows computed from a bounded value -----------------===//
#include "compiler/import/tfjs/ops/RowSource.h"

#include "compiler/import/tfjs/ops/Count.h"

#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// rowSource's walk; `axis` and `bound` are the sources' once one is found.
bool rowsOf(Value v, int64_t &axis, int64_t &bound, llvm::SmallVector<Value> &sources, int depth) {
  if (import::isBounded(v)) {
    int64_t a = import::compactAxis(v.getDefiningOp());
    int64_t n = typeOf(v).getShape()[a];
    if (!sources.empty() && (a != axis || n != bound))
      return false;
    axis = a;
    bound = n;
    if (!llvm::is_contained(sources, v))
      sources.push_back(v);
    return true;
  }
  Operation *op = v.getDefiningOp();
  if (!op || boundedSources(v).empty())
    return true; // static: the extent checks below place it
  if (depth > 64 || op->getNumResults() != 1)
    return false;
  bool elementwise =
      isa<tosa::AddOp, tosa::SubOp, tosa::MulOp, tosa::MaximumOp, tosa::MinimumOp, tosa::PowOp,
          tosa::SelectOp, tosa::CastOp, tosa::ClampOp, tosa::ExpOp, tosa::LogOp, tosa::AbsOp,
          tosa::NegateOp, tosa::ReciprocalOp, tosa::RsqrtOp, tosa::SigmoidOp, tosa::TanhOp,
          tosa::FloorOp, tosa::CeilOp, tosa::GreaterOp, tosa::GreaterEqualOp, tosa::EqualOp,
          tosa::LogicalAndOp, tosa::LogicalOrOp, tosa::LogicalNotOp, tosa::IdentityOp>(op);
  auto slice = dyn_cast<tosa::SliceOp>(op);
  auto cat = dyn_cast<tosa::ConcatOp>(op);
  auto reshape = dyn_cast<tosa::ReshapeOp>(op);
  if (!elementwise && !slice && !cat && !reshape)
    return false;
  for (Value operand : op->getOperands())
    if (!rowsOf(operand, axis, bound, sources, depth + 1))
      return false;
  auto shape = typeOf(v).getShape();
  if (sources.empty() || static_cast<int64_t>(shape.size()) <= axis || shape[axis] != bound)
    return false;
  if (slice && (slice.getStart()[axis] != 0 || typeOf(slice.getInput()).getShape()[axis] != bound))
    return false;
  if (cat && static_cast<int64_t>(cat.getAxis()) == axis)
    return false;
  if (reshape &&
      typeOf(reshape.getInput1()).getShape().take_front(axis + 1) != shape.take_front(axis + 1))
    return false;
  // An elementwise operand spans the rows or broadcasts over them.
  for (Value operand : op->getOperands()) {
    auto t = typeOf(operand).getShape();
    if (elementwise && static_cast<int64_t>(t.size()) > axis && t[axis] != bound && t[axis] != 1)
      return false;
  }
  return true;
}

Value countI32(OpContext &node, Value bounded, int64_t rank) {
  OpBuilder &b = node.builder();
  Value count = castElements(b, node.loc(), import::countOf(bounded), b.getI32Type());
  return reshape(b, node.loc(), count, llvm::SmallVector<int64_t>(rank, 1));
}

// The values each element of a small integer tensor can take, where it is
// a constant or a choice between constants (selects, reshapes, casts,
// concatenations); nullopt otherwise.
std::optional<std::vector<std::vector<int64_t>>> possibleInts(Value v, int depth) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  Operation *op = v.getDefiningOp();
  if (depth > 32 || !op || !type || !type.hasStaticShape() ||
      type.getNumElements() > kMaxExprElements || !type.getElementType().isInteger())
    return std::nullopt;
  int64_t n = type.getNumElements();
  if (DenseIntElementsAttr attr; matchPattern(v, m_Constant(&attr))) {
    std::vector<std::vector<int64_t>> r;
    for (const APInt &x : attr.getValues<APInt>())
      r.push_back({x.getSExtValue()});
    return r;
  }
  if (isa<tosa::CastOp, tosa::ReshapeOp, tosa::IdentityOp>(op))
    return possibleInts(op->getOperand(0), depth + 1);
  if (auto sel = dyn_cast<tosa::SelectOp>(op)) {
    auto a = possibleInts(sel.getOnTrue(), depth + 1),
         b = possibleInts(sel.getOnFalse(), depth + 1);
    if (!a || !b || (a->size() != 1 && static_cast<int64_t>(a->size()) != n) ||
        (b->size() != 1 && static_cast<int64_t>(b->size()) != n))
      return std::nullopt;
    std::vector<std::vector<int64_t>> r(n);
    for (int64_t i = 0; i < n; ++i) {
      r[i] = (*a)[a->size() == 1 ? 0 : i];
      for (int64_t x : (*b)[b->size() == 1 ? 0 : i])
        if (!llvm::is_contained(r[i], x))
          r[i].push_back(x);
    }
    return r;
  }
  if (auto c = dyn_cast<tosa::ConcatOp>(op); c && type.getRank() == 1) {
    std::vector<std::vector<int64_t>> r;
    for (Value in : c.getInput1()) {
      auto part = possibleInts(in, depth + 1);
      if (!part)
        return std::nullopt;
      r.insert(r.end(), part->begin(), part->end());
    }
    return r;
  }
  return std::nullopt;
}

} // namespace

std::optional<Value> rowSource(Value v) {
  int64_t axis = -1, bound = 0;
  llvm::SmallVector<Value> sources;
  if (!rowsOf(v, axis, bound, sources, 0) || sources.empty())
    return std::nullopt;
  // One count for all: the same run-time length, read back as at import.
  auto first = countExprs(import::countOf(sources.front()));
  for (Value s : llvm::drop_begin(sources)) {
    auto e = countExprs(import::countOf(s));
    if (!first || !e || first->size() != 1 || e->size() != 1 ||
        (*first)[0].count != (*e)[0].count || (*first)[0].scale != (*e)[0].scale ||
        (*first)[0].constant != (*e)[0].constant)
      return std::nullopt;
  }
  return sources.front();
}

Value shapeOfBounded(OpContext &node, Value rows) {
  OpBuilder &b = node.builder();
  llvm::ArrayRef<int64_t> shape = typeOf(rows).getShape();
  Value bounded = rowSource(rows).value_or(rows);
  int64_t axis = import::compactAxis(bounded.getDefiningOp()), rank = shape.size();
  llvm::SmallVector<Value> parts;
  if (axis > 0)
    parts.push_back(i32Constant(node, shape.take_front(axis), {axis}));
  parts.push_back(countI32(node, bounded, 1));
  if (axis + 1 < rank)
    parts.push_back(i32Constant(node, shape.drop_front(axis + 1), {rank - axis - 1}));
  return concat(b, node.loc(), parts, 0);
}

Value sizeOfBounded(OpContext &node, Value rows) {
  llvm::ArrayRef<int64_t> shape = typeOf(rows).getShape();
  Value bounded = rowSource(rows).value_or(rows);
  int64_t axis = import::compactAxis(bounded.getDefiningOp());
  // The other dimensions' product: no division by the bound, which may be 0.
  int64_t rest = 1;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    rest *= d == axis ? 1 : shape[d];
  Value count = countI32(node, bounded, 1);
  if (rest != 1)
    count = mul(node.builder(), node.loc(), count, i32Constant(node, {rest}, {1}));
  return reshape(node.builder(), node.loc(), count, {});
}

llvm::Error sliceKeepingRows(OpContext &node) {
  Value data = node.value(0);
  int64_t axis = import::compactAxis(data.getDefiningOp());
  llvm::ArrayRef<int64_t> in = node.shape(0);
  auto begin = node.constInts(1, "begin");
  if (!begin)
    return begin.takeError();
  auto sizes = possibleInts(node.value(2), 0);
  bool keeps = sizes && sizes->size() == in.size() && begin->size() == in.size();
  for (size_t d = 0; keeps && d < in.size(); ++d) {
    keeps = (*begin)[d] == 0;
    for (int64_t s : (*sizes)[d])
      keeps = keeps && (s == -1 || (static_cast<int64_t>(d) == axis ? s >= in[d] : s == in[d]));
  }
  if (!keeps)
    return node.fail("input 0 (node '" + nodeNameOf(data.getDefiningOp()) +
                     "') has a run-time length and the sizes are known only at run time: Kiln "
                     "supports such a slice when it starts at 0 and every size it can take is -1 "
                     "or the whole extent (docs/BOUNDED.md)");
  node.forwardInput(0, 0);
  return llvm::Error::success();
}

} // namespace kiln::tfjs_import
