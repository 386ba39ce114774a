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

// `overflowAt`, when given, receives the node whose arithmetic left int64
// (a hostile model's constants): eval is then nullopt.
std::optional<Exprs> eval(Value v, int depth, std::string *overflowAt = nullptr);

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
      c = addCounts(a, b, sign);
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
        *overflowAt = nodeNameOf(op);
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
            *overflowAt = nodeNameOf(op);
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

} // namespace

std::string nodeNameOf(Operation *op) {
  auto loc = dyn_cast<NameLoc>(op->getLoc());
  return loc ? loc.getName().str() : std::string("?");
}

std::optional<CountExpr> addCounts(const CountExpr &a, const CountExpr &b, int64_t sign) {
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

std::optional<int64_t> largestValue(const CountExpr &e) {
  if (e.isConstant())
    return e.constant;
  auto top = llvm::checkedMul(e.scale, boundOf(e.count));
  top = top ? llvm::checkedAdd(e.constant, *top) : std::nullopt;
  return top ? std::optional<int64_t>(std::max(e.constant, *top)) : std::nullopt;
}

std::optional<std::vector<CountExpr>> countExprs(Value v, std::string *overflowAt) {
  return eval(v, 0, overflowAt);
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
      return nodeNameOf(op);
    for (Value operand : op->getOperands())
      work.push_back(operand);
  }
  return std::nullopt;
}

} // namespace kiln::tfjs_import
