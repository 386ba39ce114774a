//===- FillPast.cpp - the rows past a run-time count, filled --------------===//
#include "compiler/import/tfjs/ops/FillPast.h"

#include "compiler/import/tfjs/ops/Count.h"

#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

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

} // namespace

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
    std::optional<int64_t> top = largestValue(e);
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
  std::string dataName = nodeNameOf(data.getDefiningOp());
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
      auto sum = addCounts((*total)[0], (*len)[0], 1);
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
  std::string dataName = nodeNameOf(data.getDefiningOp());
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
    auto sum = addCounts((*length)[0], high, 1);
    if (!sum || !sum->isConstant() || sum->constant < 1)
      return refuse();
    total = sum->constant;
  }
  Value rows = fillPastCount(node, data, total, padValue);
  node.setValue(0, pad(node.builder(), node.loc(), rows, lowHigh, padValue));
  return llvm::Error::success();
}

} // namespace kiln::tfjs_import
