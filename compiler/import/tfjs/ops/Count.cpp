//===- Count.cpp - a bounded value's run-time count in shape arithmetic ---===//
#include "compiler/import/tfjs/ops/Count.h"

#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

using Exprs = std::vector<CountExpr>;

// Shape arithmetic is a few elements; a larger tensor is data, not a shape.
constexpr int64_t kMaxExprElements = 64;

// `overflowAt`, when given, receives the node whose arithmetic left int64
// (a hostile model's constants): eval is then nullopt.
std::optional<Exprs> eval(Value v, int depth, std::string *overflowAt = nullptr);

std::string nodeName(Operation *op) {
  auto loc = dyn_cast<NameLoc>(op->getLoc());
  return loc ? loc.getName().str() : std::string("?");
}

// a + sign * b, nullopt if it leaves int64.
std::optional<int64_t> addScaled(int64_t a, int64_t sign, int64_t b) {
  auto sb = llvm::checkedMul(sign, b);
  return sb ? llvm::checkedAdd(a, *sb) : std::nullopt;
}

// The flat index into an operand of shape `in` (each dimension equal to the
// result's or 1) of the result's flat index `i`.
int64_t broadcastIndex(int64_t i, llvm::ArrayRef<int64_t> out, llvm::ArrayRef<int64_t> in) {
  int64_t src = 0, stride = 1;
  for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
    int64_t coord = i % out[d];
    i /= out[d];
    if (in[d] != 1)
      src += coord * stride;
    stride *= in[d];
  }
  return src;
}

// a + sign * b; nullopt for two different counts or an int64 overflow.
std::optional<CountExpr> combine(const CountExpr &a, const CountExpr &b, int64_t sign) {
  if (a.scale && b.scale && a.count != b.count)
    return std::nullopt; // two different counts: not one length
  auto constant = addScaled(a.constant, sign, b.constant);
  auto scale = addScaled(a.scale, sign, b.scale);
  if (!constant || !scale)
    return std::nullopt;
  CountExpr r{*constant, *scale, a.scale ? a.count : b.count};
  if (!r.scale)
    r.count = Value();
  return r;
}

std::optional<Exprs> evalBinary(Operation *op, int64_t sign, int depth, std::string *overflowAt) {
  auto out = typeOf(op->getResult(0)).getShape();
  auto lhsType = typeOf(op->getOperand(0)), rhsType = typeOf(op->getOperand(1));
  if (lhsType.getRank() != static_cast<int64_t>(out.size()) ||
      rhsType.getRank() != static_cast<int64_t>(out.size()))
    return std::nullopt;
  auto lhs = eval(op->getOperand(0), depth + 1, overflowAt),
       rhs = eval(op->getOperand(1), depth + 1, overflowAt);
  if (!lhs || !rhs)
    return std::nullopt;
  Exprs r;
  for (int64_t i = 0, n = numElements(out); i < n; ++i) {
    const CountExpr &a = (*lhs)[broadcastIndex(i, out, lhsType.getShape())];
    const CountExpr &b = (*rhs)[broadcastIndex(i, out, rhsType.getShape())];
    std::optional<CountExpr> c;
    if (sign) {
      if (a.scale && b.scale && a.count != b.count)
        return std::nullopt;
      c = combine(a, b, sign);
    } else { // a product: one side a constant
      if (a.scale && b.scale)
        return std::nullopt;
      const CountExpr &k = a.scale ? b : a, &x = a.scale ? a : b;
      auto constant = llvm::checkedMul(k.constant, x.constant);
      auto scale = llvm::checkedMul(k.constant, x.scale);
      if (constant && scale)
        c = CountExpr{*constant, *scale, *scale ? x.count : Value()};
    }
    if (!c) { // the counts were one: int64 overflowed
      if (overflowAt)
        *overflowAt = nodeName(op);
      return std::nullopt;
    }
    r.push_back(*c);
  }
  return r;
}

// The count of a compaction by `i < x` (iota constant) is x.
std::optional<Exprs> evalCount(tosa::CustomOp op, Value count, int depth, std::string *overflowAt) {
  if (op.getOperatorName() == import::kCompactOp)
    if (auto gt = op->getOperand(1).getDefiningOp<tosa::GreaterOp>()) {
      // The iota is as long as the bound: read it here, not by eval.
      DenseIntElementsAttr iota;
      bool isIota = matchPattern(gt.getInput2(), m_Constant(&iota));
      if (isIota) {
        int64_t i = 0;
        for (const APInt &x : iota.getValues<APInt>())
          isIota = isIota && x.getSExtValue() == i++;
      }
      auto x = eval(gt.getInput1(), depth + 1, overflowAt);
      if (isIota && x && x->size() == 1)
        return x;
    }
  // Compactions by one mask (NMS V5's indices and scores) count alike: the
  // first of them stands for all.
  if (op.getOperatorName() == import::kCompactOp) {
    Value mask = op->getOperand(1);
    Operation *first = op;
    for (Operation *user : mask.getUsers()) {
      auto other = dyn_cast<tosa::CustomOp>(user);
      if (other && other.getOperatorName() == import::kCompactOp && other->getOperand(1) == mask &&
          other->getBlock() == first->getBlock() && other->isBeforeInBlock(first))
        first = other;
    }
    count = first->getResult(1);
  }
  return Exprs{CountExpr{0, 1, count}};
}

std::optional<Exprs> eval(Value v, int depth, std::string *overflowAt) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  Operation *op = v.getDefiningOp();
  if (depth > 64 || !op || !type || !type.hasStaticShape() ||
      type.getNumElements() > kMaxExprElements || !type.getElementType().isInteger() ||
      type.getElementType().isInteger(1))
    return std::nullopt;
  if (DenseIntElementsAttr attr; matchPattern(v, m_Constant(&attr))) {
    Exprs r;
    for (const APInt &x : attr.getValues<APInt>())
      r.push_back(CountExpr{x.getSExtValue(), 0, Value()});
    return r;
  }
  if (auto custom = dyn_cast<tosa::CustomOp>(op))
    if (op->getNumResults() == 2 && v == op->getResult(1) && import::compactAxis(op) >= 0)
      return evalCount(custom, v, depth, overflowAt);
  if (auto cast = dyn_cast<tosa::CastOp>(op)) // int to int: the values stay
    return eval(cast.getInput(), depth + 1, overflowAt);
  if (isa<tosa::ReshapeOp, tosa::IdentityOp>(op))
    return eval(op->getOperand(0), depth + 1, overflowAt);
  if (auto neg = dyn_cast<tosa::NegateOp>(op)) {
    auto r = eval(neg.getInput1(), depth + 1, overflowAt);
    if (r)
      for (CountExpr &e : *r) {
        auto c = addScaled(0, -1, e.constant), k = addScaled(0, -1, e.scale);
        if (!c || !k) {
          if (overflowAt)
            *overflowAt = nodeName(op);
          return std::nullopt;
        }
        e = CountExpr{*c, *k, e.count};
      }
    return r;
  }
  if (isa<tosa::AddOp>(op))
    return evalBinary(op, 1, depth, overflowAt);
  if (isa<tosa::SubOp>(op))
    return evalBinary(op, -1, depth, overflowAt);
  if (auto m = dyn_cast<tosa::MulOp>(op))
    return m.getShift() == 0 ? evalBinary(op, 0, depth, overflowAt) : std::nullopt;
  if (auto s = dyn_cast<tosa::SliceOp>(op)) {
    auto in = eval(s.getInput(), depth + 1, overflowAt);
    if (!in)
      return std::nullopt;
    auto inShape = typeOf(s.getInput()).getShape();
    auto outShape = type.getShape();
    std::vector<int64_t> strides = rowMajorStrides(inShape);
    Exprs r;
    for (int64_t i = 0, n = numElements(outShape); i < n; ++i) {
      int64_t src = 0;
      for (int64_t d = static_cast<int64_t>(outShape.size()) - 1, rest = i; d >= 0; --d) {
        src += (rest % outShape[d] + s.getStart()[d]) * strides[d];
        rest /= outShape[d];
      }
      r.push_back((*in)[src]);
    }
    return r;
  }
  if (auto c = dyn_cast<tosa::ConcatOp>(op)) {
    // Row-major: each of the `outer` blocks takes one chunk of each part.
    int64_t axis = c.getAxis();
    int64_t outer = numElements(type.getShape().take_front(axis));
    std::vector<Exprs> parts;
    for (Value in : c.getInput1()) {
      auto e = eval(in, depth + 1, overflowAt);
      if (!e)
        return std::nullopt;
      parts.push_back(std::move(*e));
    }
    Exprs r;
    for (int64_t o = 0; o < outer; ++o)
      for (const Exprs &p : parts) {
        int64_t chunk = static_cast<int64_t>(p.size()) / outer;
        r.insert(r.end(), p.begin() + o * chunk, p.begin() + (o + 1) * chunk);
      }
    return r;
  }
  return std::nullopt;
}

// The extent of a count's bounded value along its bounded dimension.
int64_t boundOf(Value count) {
  Operation *op = count.getDefiningOp();
  return typeOf(op->getResult(0)).getShape()[import::compactAxis(op)];
}

// The largest value of `e` over its count's 0..bound; nullopt if that
// leaves int64.
std::optional<int64_t> largestOf(const CountExpr &e) {
  if (e.isConstant())
    return e.constant;
  auto top = llvm::checkedMul(e.scale, boundOf(e.count));
  top = top ? llvm::checkedAdd(e.constant, *top) : std::nullopt;
  return top ? std::optional<int64_t>(std::max(e.constant, *top)) : std::nullopt;
}

// The splat value of the data a fill of run-time length compacts.
std::optional<double> fillValueOf(Value bounded) {
  auto op = bounded.getDefiningOp<tosa::CustomOp>();
  SplatElementsAttr splat;
  if (!op || op.getOperatorName() != import::kCompactOp ||
      !matchPattern(op->getOperand(0), m_Constant(&splat)))
    return std::nullopt;
  Type t = splat.getElementType();
  if (isa<FloatType>(t))
    return splat.getSplatValue<APFloat>().convertToDouble();
  return static_cast<double>(splat.getSplatValue<APInt>().getSExtValue());
}

// lengthBound's walk; `overflowAt` receives the node whose bound leaves
// int64, and every caller then stops.
std::optional<int64_t> boundOfLength(Value v, int depth, std::string &overflowAt) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  Operation *op = v.getDefiningOp();
  if (depth > 64 || !op || !type || !type.hasStaticShape() || type.getNumElements() != 1 ||
      !type.getElementType().isInteger() || type.getElementType().isInteger(1))
    return std::nullopt;
  auto overflow = [&]() -> std::optional<int64_t> {
    overflowAt = nodeName(op);
    return std::nullopt;
  };
  if (auto exprs = eval(v, 0, &overflowAt); exprs && exprs->size() == 1) {
    auto top = largestOf(exprs->front());
    return top ? top : overflow();
  }
  if (!overflowAt.empty())
    return std::nullopt;
  if (isa<tosa::CastOp, tosa::ReshapeOp, tosa::IdentityOp>(op))
    return boundOfLength(op->getOperand(0), depth + 1, overflowAt);
  if (isa<tosa::AddOp>(op)) {
    auto a = boundOfLength(op->getOperand(0), depth + 1, overflowAt);
    auto b = a ? boundOfLength(op->getOperand(1), depth + 1, overflowAt) : std::nullopt;
    if (a && b) {
      auto sum = llvm::checkedAdd(*a, *b);
      return sum ? sum : overflow();
    }
  }
  if (isa<tosa::SubOp>(op)) { // less a constant: a lower bound of a length is not kept
    auto a = boundOfLength(op->getOperand(0), depth + 1, overflowAt);
    auto b = a ? eval(op->getOperand(1), depth + 1, &overflowAt) : std::nullopt;
    if (a && b && b->size() == 1 && b->front().isConstant()) {
      auto difference = llvm::checkedSub(*a, b->front().constant);
      return difference ? difference : overflow();
    }
  }
  if (isa<tosa::MinimumOp, tosa::MaximumOp, tosa::SelectOp>(op)) {
    // Select's operand 0 is the condition; each side may be the result,
    // but select(a > b, b, a) is min(a, b) (the Object Detection API's
    // clip of a count by another).
    bool isMin = isa<tosa::MinimumOp>(op);
    if (auto sel = dyn_cast<tosa::SelectOp>(op)) {
      auto strip = [](Value x) {
        while (x.getDefiningOp() && isa<tosa::ReshapeOp, tosa::IdentityOp>(x.getDefiningOp()))
          x = x.getDefiningOp()->getOperand(0);
        return x;
      };
      Operation *cond = strip(sel.getPred()).getDefiningOp();
      if (cond && isa<tosa::GreaterOp, tosa::GreaterEqualOp>(cond))
        isMin = strip(cond->getOperand(0)) == strip(sel.getOnFalse()) &&
                strip(cond->getOperand(1)) == strip(sel.getOnTrue());
    }
    auto a = boundOfLength(op->getOperand(op->getNumOperands() - 2), depth + 1, overflowAt);
    auto b = boundOfLength(op->getOperand(op->getNumOperands() - 1), depth + 1, overflowAt);
    if (!overflowAt.empty())
      return std::nullopt;
    if (isMin && (a || b))
      return a && b ? std::min(*a, *b) : a ? *a : *b;
    if (a && b)
      return std::max(*a, *b);
  }
  return std::nullopt;
}

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

} // namespace

std::optional<std::vector<CountExpr>> countExprs(Value v) { return eval(v, 0); }

std::optional<int64_t> lengthBound(Value v, std::string *overflowAt) {
  std::string at;
  auto bound = boundOfLength(v, 0, at);
  if (overflowAt)
    *overflowAt = at;
  return at.empty() ? bound : std::nullopt;
}

// The values each element of a small integer tensor can take, where it is
// a constant or a choice between constants (selects, reshapes, casts,
// concatenations); nullopt otherwise.
static std::optional<std::vector<std::vector<int64_t>>> possibleInts(Value v, int depth) {
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
    return node.fail("input 0 (node '" + nodeName(data.getDefiningOp()) +
                     "') has a run-time length and the sizes are known only at run time: Kiln "
                     "supports such a slice when it starts at 0 and every size it can take is -1 "
                     "or the whole extent (docs/BOUNDED.md)");
  node.forwardInput(0, 0);
  return llvm::Error::success();
}

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

llvm::Error rangeOfLength(OpContext &node) {
  const Literal *start = node.literal(0), *delta = node.literal(2);
  Value limit = node.value(1);
  std::string overflowAt;
  std::optional<int64_t> bound = lengthBound(limit, &overflowAt);
  if (!overflowAt.empty())
    return node.fail("the limit's largest value overflows 64-bit integers at node '" + overflowAt +
                     "'");
  if (!bound)
    return node.fail("the limit is known only at run time and is not a length Kiln can bound "
                     "(a count of node '" +
                     countSource(limit).value_or("?") +
                     "' through shape arithmetic, Minimum, Maximum or Select; docs/BOUNDED.md)");
  if (!start || !delta || start->isFloat() || delta->isFloat() || start->size() != 1 ||
      delta->size() != 1 || delta->intAt(0) < 1)
    return node.fail("with a run-time limit, start and delta must be known integer scalars and "
                     "delta positive");
  int64_t s = start->intAt(0), d = delta->intAt(0);
  // ceil((bound - start) / delta) without leaving int64.
  std::optional<int64_t> span =
      *bound > s ? llvm::checkedSub(*bound, s) : std::optional<int64_t>(0);
  if (!span)
    return node.fail("the range's length overflows 64-bit integers (its largest limit " +
                     llvm::Twine(*bound) + ", start " + llvm::Twine(s) + ")");
  int64_t n = *span / d + (*span % d != 0);
  if (n < 1)
    return node.fail("the range is empty for every run-time limit (its largest is " +
                     llvm::Twine(*bound) + ", start " + llvm::Twine(s) + ")");
  if (n > kMaxFoldElements)
    return node.fail("the range has up to " + llvm::Twine(n) + " elements; Kiln bounds it at " +
                     llvm::Twine(kMaxFoldElements));
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Type type = node.elementType(0);
  std::vector<int64_t> values(n);
  for (int64_t i = 0; i < n; ++i)
    values[i] = s + i * d;
  Value data = intConstant(b, loc, values, {n}, type);
  Value x = reshape(b, loc, castElements(b, loc, limit, type), {1});
  // TF's length is ceil((limit - start) / delta): the values below limit.
  Value mask = b.create<tosa::GreaterOp>(loc, tensorOf({n}, b.getI1Type()), x, data);
  node.setValue(0, import::compact(b, loc, data, mask, 0).first);
  return llvm::Error::success();
}

llvm::SmallVector<Value> boundedSources(Value v) {
  llvm::SmallVector<Value> work{v}, found;
  llvm::SmallPtrSet<Operation *, 32> seen;
  while (!work.empty()) {
    Value x = work.pop_back_val();
    Operation *op = x.getDefiningOp();
    if (!op || !seen.insert(op).second)
      continue;
    if (import::isBounded(x)) {
      found.push_back(x);
      continue;
    }
    if (import::compactAxis(op) >= 0 || op->hasAttr(import::kFollowsCountAttr))
      continue; // a count, or static rows made from one
    for (Value operand : op->getOperands())
      work.push_back(operand);
  }
  return found;
}

std::optional<std::string> countSource(Value v) {
  if (!v)
    return std::nullopt;
  llvm::SmallVector<Value> work{v};
  llvm::SmallPtrSet<Operation *, 32> seen;
  while (!work.empty()) {
    Operation *op = work.pop_back_val().getDefiningOp();
    if (!op || !seen.insert(op).second || seen.size() > 256)
      continue;
    if (import::compactAxis(op) >= 0)
      return nodeName(op);
    for (Value operand : op->getOperands())
      work.push_back(operand);
  }
  return std::nullopt;
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

Value fillPastLength(OpContext &node, Value rows, int64_t axis, Value length, double fill) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  auto type = typeOf(rows);
  int64_t rank = type.getRank(), n = type.getShape()[axis];
  std::vector<int64_t> iota(n);
  for (int64_t i = 0; i < n; ++i)
    iota[i] = i;
  llvm::SmallVector<int64_t> maskShape(rank, 1), ones(rank, 1);
  maskShape[axis] = n;
  length = reshape(b, loc, castElements(b, loc, length, b.getI32Type()), ones);
  Value mask = b.create<tosa::GreaterOp>(loc, tensorOf(maskShape, b.getI1Type()), length,
                                         intConstant(b, loc, iota, maskShape, b.getI32Type()));
  Value out = select(b, loc, mask, rows, splatConstant(b, loc, type.getElementType(), fill, ones));
  // Reads only the rows below the count: finishBoundedResults accepts it.
  out.getDefiningOp()->setAttr(import::kFollowsCountAttr, b.getUnitAttr());
  return out;
}

Value fillPastCount(OpContext &node, Value bounded, int64_t length, double fill) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  auto type = typeOf(bounded);
  int64_t axis = import::compactAxis(bounded.getDefiningOp()), rank = type.getRank();
  int64_t bound = type.getShape()[axis];
  Value rows = bounded;
  llvm::SmallVector<int64_t> shape(type.getShape());
  if (bound > length) { // rows past `length` would be past the count too
    shape[axis] = length;
    rows = slice(b, loc, rows, llvm::SmallVector<int64_t>(rank, 0), shape);
  } else if (bound < length) { // the select writes these
    llvm::SmallVector<int64_t> lowHigh(2 * rank, 0);
    lowHigh[2 * axis + 1] = length - bound;
    rows = pad(b, loc, rows, lowHigh, 0);
  }
  return fillPastLength(node, rows, axis, import::countOf(bounded), fill);
}

llvm::Error fillOfCount(OpContext &node, Value dims, int valueInput) {
  auto exprs = countExprs(dims);
  if (!exprs)
    return node.fail("dims depend on the run-time length of node '" +
                     countSource(dims).value_or("?") +
                     "' in a way Kiln cannot follow (docs/BOUNDED.md)");
  const Literal *value = node.literal(valueInput);
  if (!value || value->size() != 1)
    return node.fail("the fill value must be a known scalar");
  int64_t axis = -1;
  std::vector<int64_t> shape;
  for (size_t d = 0; d < exprs->size(); ++d) {
    const CountExpr &e = (*exprs)[d];
    if (e.isConstant()) {
      shape.push_back(e.constant);
      continue;
    }
    if (axis >= 0)
      return node.fail("dims " + llvm::Twine(axis) + " and " + llvm::Twine(d) +
                       " both depend on a run-time length; Kiln supports one");
    axis = d;
    // The largest length over counts 0..bound.
    std::optional<int64_t> top = largestOf(e);
    if (!top)
      return node.fail("dim " + llvm::Twine(d) + "'s largest value overflows 64-bit integers");
    shape.push_back(*top);
  }
  if (llvm::any_of(shape, [](int64_t d) { return d < 1; }))
    return node.fail("cannot fill shape " + shapeString(shape) +
                     " (empty tensors are not supported)");
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value data =
      splatConstant(b, loc, mlirTypeOf(b.getContext(), value->dtype()), value->at(0), shape);
  std::vector<int64_t> iota(shape[axis]);
  for (int64_t i = 0; i < shape[axis]; ++i)
    iota[i] = i;
  Value length = reshape(b, loc, slice(b, loc, dims, {axis}, {1}), {1});
  length = castElements(b, loc, length, b.getI32Type());
  Value mask = b.create<tosa::GreaterOp>(loc, tensorOf({shape[axis]}, b.getI1Type()), length,
                                         intConstant(b, loc, iota, {shape[axis]}, b.getI32Type()));
  node.setValue(0, import::compact(b, loc, data, mask, axis).first);
  return llvm::Error::success();
}

llvm::Error concatBounded(OpContext &node, int first, int count, int64_t axis) {
  // Inputs before the bounded one sit at known offsets.
  llvm::SmallVector<Value> parts;
  int i = first, end = first + count;
  for (; i < end && (node.literal(i) || !import::isBounded(node.value(i))); ++i)
    parts.push_back(node.value(i));
  Value data = node.value(i);
  int64_t dataAxis = import::compactAxis(data.getDefiningOp());
  std::string dataName = nodeName(data.getDefiningOp());
  if (dataAxis != axis)
    return node.fail("input " + llvm::Twine(i - first) + " (node '" + dataName +
                     "') has a run-time length along dimension " + llvm::Twine(dataAxis) +
                     ", not the concatenation's axis " + llvm::Twine(axis) + " (docs/BOUNDED.md)");
  auto total = countExprs(import::countOf(data));
  std::optional<double> fill;
  bool fits = total && total->size() == 1;
  for (int k = i + 1; fits && k < end; ++k) {
    Value v = node.literal(k) ? Value() : node.value(k);
    std::optional<double> f = v && import::isBounded(v) ? fillValueOf(v) : std::nullopt;
    auto len = f ? countExprs(import::countOf(v)) : std::nullopt;
    fits = f && (!fill || *fill == *f) && len && len->size() == 1 &&
           import::compactAxis(v.getDefiningOp()) == axis;
    if (fits) {
      fill = f;
      auto sum = combine((*total)[0], (*len)[0], 1);
      fits = sum.has_value();
      if (fits)
        (*total)[0] = *sum;
    }
  }
  if (!fits || !fill || !(*total)[0].isConstant())
    return node.fail("the concatenation's length depends on the run-time length of node '" +
                     dataName +
                     "': Kiln supports it when fills of the remaining run-time length (such as "
                     "zeros(max - shape[0])) follow it, up to a static length (docs/BOUNDED.md)");
  int64_t length = (*total)[0].constant;
  if (length < 1)
    return node.fail("the concatenation would be empty");
  parts.push_back(fillPastCount(node, data, length, *fill));
  node.setValue(0, concat(node.builder(), node.loc(), parts, axis));
  return llvm::Error::success();
}

llvm::Error padBounded(OpContext &node, double padValue) {
  Value data = node.value(0);
  int64_t axis = import::compactAxis(data.getDefiningOp());
  int64_t rank = node.rank(0);
  std::string dataName = nodeName(data.getDefiningOp());
  auto paddings = countExprs(node.value(1));
  auto length = countExprs(import::countOf(data));
  auto refuse = [&] {
    return node.fail("the paddings depend on the run-time length of node '" + dataName +
                     "': Kiln supports them when they pad its dimension " + llvm::Twine(axis) +
                     " after the rows to a static length (max - shape[" + llvm::Twine(axis) +
                     "]) and the others by known amounts (docs/BOUNDED.md)");
  };
  if (!paddings || paddings->size() != static_cast<size_t>(2 * rank) || !length ||
      length->size() != 1)
    return refuse();
  std::vector<int64_t> lowHigh(2 * rank, 0);
  int64_t total = 0;
  for (int64_t d = 0; d < rank; ++d) {
    const CountExpr &low = (*paddings)[2 * d], &high = (*paddings)[2 * d + 1];
    if (!low.isConstant() || low.constant < 0)
      return refuse();
    lowHigh[2 * d] = low.constant;
    if (d != axis) {
      if (!high.isConstant() || high.constant < 0)
        return refuse();
      lowHigh[2 * d + 1] = high.constant;
      continue;
    }
    auto sum = combine((*length)[0], high, 1);
    if (!sum || !sum->isConstant() || sum->constant < 1)
      return refuse();
    total = sum->constant;
  }
  Value rows = fillPastCount(node, data, total, padValue);
  node.setValue(0, pad(node.builder(), node.loc(), rows, lowHigh, padValue));
  return llvm::Error::success();
}

} // namespace kiln::tfjs_import
