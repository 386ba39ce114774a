//===- Bounded.cpp - outputs whose length depends on the data -------------===//
#include "compiler/import/common/Bounded.h"

#include "compiler/import/common/Shapes.h"
#include "compiler/import/common/TosaBuilders.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;

namespace kiln::import {

std::pair<Value, Value> compact(OpBuilder &b, Location loc, Value data, Value mask, int64_t axis) {
  Type types[] = {typeOf(data), tensorOf({1}, b.getI64Type())};
  auto op = b.create<tosa::CustomOp>(loc, TypeRange(types), kCompactOp, "kiln",
                                     ("axis=" + llvm::Twine(axis)).str(), ValueRange{data, mask});
  return {op->getResult(0), op->getResult(1)};
}

llvm::Expected<UniqueOutputs> unique(OpBuilder &b, Location loc, Value input, int64_t axis,
                                     bool sorted, unsigned want, llvm::StringRef name) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t n = type.getShape()[axis];
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  if (type.getNumElements() == 0)
    return error(name + " is empty (shape " + shapeString(type.getShape(), ",") +
                 "); Kiln's Unique takes no empty input");
  if (n > kMaxUniqueSlices)
    return error(name + " has " + llvm::Twine(n) + (type.getRank() == 1 ? " elements" : " slices") +
                 "; Kiln's Unique compares every pair and takes at most " +
                 llvm::Twine(kMaxUniqueSlices));
  Type i64 = b.getI64Type();
  Type types[] = {type, tensorOf({n}, i64), tensorOf({n}, i64), tensorOf({n}, i64)};
  std::string attrs =
      ("axis=" + llvm::Twine(axis) + ";sorted=" + llvm::Twine(sorted ? 1 : 0)).str();
  auto op = b.create<tosa::CustomOp>(loc, TypeRange(types), "kiln.unique", "kiln", attrs,
                                     ValueRange{input});
  Value counts = op->getResult(3);
  UniqueOutputs out;
  out.inverse = op->getResult(2);
  if (want & kUniqueValues)
    out.values = compact(b, loc, op->getResult(0), counts, axis).first;
  if (want & kUniqueIndices)
    out.indices = compact(b, loc, op->getResult(1), counts, 0).first;
  if (want & kUniqueCounts)
    out.counts = compact(b, loc, counts, counts, 0).first;
  return out;
}

static tosa::CustomOp compactOf(Value value) {
  auto op = value.getDefiningOp<tosa::CustomOp>();
  return op && (op.getOperatorName() == kCompactOp || op.getOperatorName() == kNmsOp) ? op
                                                                                      : nullptr;
}

bool isBounded(Value value) {
  auto op = compactOf(value);
  return op && value == op->getResult(0);
}

Value countOf(Value bounded) {
  auto op = compactOf(bounded);
  return op ? op->getResult(1) : Value();
}

std::pair<Value, Value> followCount(OpBuilder &b, Location loc, Value rows, int64_t axis,
                                    Value source) {
  int64_t n = typeOf(rows).getShape()[axis];
  std::vector<int64_t> iota(n);
  for (int64_t i = 0; i < n; ++i)
    iota[i] = i;
  Type i32 = b.getI32Type();
  Value count = castElements(b, loc, countOf(source), i32);
  Value mask = b.create<tosa::GreaterOp>(loc, tensorOf({n}, b.getI1Type()), count,
                                         intConstant(b, loc, iota, {n}, i32));
  auto result = compact(b, loc, rows, mask, axis);
  result.first.getDefiningOp()->setAttr(kFollowsCountAttr, b.getUnitAttr());
  return result;
}

// Whether `user`, which reads a bounded value or what was computed from
// one, hands it on only to followCount compactions (through ops of one
// result), so that the rows past the count reach nothing else.
static bool feedsOnlyFollowers(Operation *user, int depth) {
  if (user->hasAttr(kFollowsCountAttr))
    return true;
  if (depth > 32 || user->getNumResults() != 1 || user->getResult(0).use_empty())
    return false;
  for (Operation *next : user->getResult(0).getUsers())
    if (!feedsOnlyFollowers(next, depth + 1))
      return false;
  return true;
}

int64_t compactAxis(Operation *compactOp) {
  auto op = dyn_cast<tosa::CustomOp>(compactOp);
  if (op && op.getOperatorName() == kNmsOp)
    return 0; // the selected boxes
  int64_t axis = -1;
  if (!op || !op.getImplementationAttrs().starts_with("axis=") ||
      op.getImplementationAttrs().drop_front(5).getAsInteger(10, axis))
    return -1;
  return axis;
}

llvm::Error finishBoundedResults(func::FuncOp func,
                                 const std::function<std::string(Operation *)> &describe) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (Operation &op : func.getBody().front()) {
    auto c = dyn_cast<tosa::CustomOp>(&op);
    if (!c || (c.getOperatorName() != kCompactOp && c.getOperatorName() != kNmsOp))
      continue;
    for (Operation *user : c->getResult(0).getUsers())
      if (user != ret && !feedsOnlyFollowers(user, 0))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            describe(user) + " reads the output of " + describe(c) +
                ", whose length depends on the data: Kiln supports such an output only as a "
                "model output or, in a TF.js model, as GatherV2 indices (its buffer is sized "
                "for the bound, its length counted at run time; docs/BOUNDED.md)");
  }
  unsigned numResults = ret.getNumOperands();
  llvm::SmallVector<Value> results(ret.getOperands());
  llvm::SmallVector<std::pair<unsigned, Value>> counts;
  for (unsigned i = 0; i < numResults; ++i)
    if (isBounded(results[i]))
      counts.push_back({i, compactOf(results[i])->getResult(1)});
  if (counts.empty())
    return llvm::Error::success();
  OpBuilder b(ret);
  for (auto &[index, count] : counts)
    results.push_back(count);
  b.create<func::ReturnOp>(ret.getLoc(), results);
  ret.erase();
  // The result attributes grow with the results (setResultAttr alone would
  // index past the old array).
  llvm::SmallVector<DictionaryAttr> attrs;
  func.getAllResultAttrs(attrs);
  attrs.resize(results.size(), b.getDictionaryAttr({}));
  func.setFunctionType(b.getFunctionType(func.getArgumentTypes(), ValueRange(results).getTypes()));
  func.setAllResultAttrs(attrs);
  for (auto [k, entry] : llvm::enumerate(counts)) {
    unsigned index = entry.first;
    int64_t axis = compactAxis(compactOf(results[index]));
    func.setResultAttr(index, kBoundedDimAttr, b.getI64IntegerAttr(axis));
    std::string name = "output" + std::to_string(index);
    if (auto attr = func.getResultAttrOfType<StringAttr>(index, "kiln.name"))
      name = attr.str();
    unsigned countIndex = numResults + k;
    func.setResultAttr(countIndex, "kiln.name", b.getStringAttr(name + ":count"));
    func.setResultAttr(countIndex, kCountOfAttr, b.getI64IntegerAttr(index));
  }
  return llvm::Error::success();
}

} // namespace kiln::import
