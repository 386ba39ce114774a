//===- Length.cpp - run-time lengths with a static bound ------------------===//
#include "compiler/import/tfjs/ops/Length.h"

#include "compiler/import/tfjs/ops/Count.h"

#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// lengthBound's walk; `overflowAt` receives the node whose bound leaves
// int64, and every caller then stops.
std::optional<int64_t> boundOfLength(Value v, int depth, std::string &overflowAt) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  Operation *op = v.getDefiningOp();
  if (depth > 64 || !op || !type || !type.hasStaticShape() || type.getNumElements() != 1 ||
      !type.getElementType().isInteger() || type.getElementType().isInteger(1))
    return std::nullopt;
  auto overflow = [&]() -> std::optional<int64_t> {
    overflowAt = nodeNameOf(op);
    return std::nullopt;
  };
  if (auto exprs = countExprs(v, &overflowAt); exprs && exprs->size() == 1) {
    auto top = largestValue(exprs->front());
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
    auto b = a ? countExprs(op->getOperand(1), &overflowAt) : std::nullopt;
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

} // namespace

std::optional<int64_t> lengthBound(Value v, std::string *overflowAt) {
  std::string at;
  auto bound = boundOfLength(v, 0, at);
  if (overflowAt)
    *overflowAt = at;
  return at.empty() ? bound : std::nullopt;
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

} // namespace kiln::tfjs_import
