//===- Random.cpp - random ops as tosa.custom "kiln.random" ---------------===//
#include "compiler/import/common/Random.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;

namespace kiln::import {

llvm::Expected<Value> rngState(OpBuilder &b, Location loc) {
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  Block *block = b.getInsertionBlock();
  auto func = block ? dyn_cast_or_null<func::FuncOp>(block->getParentOp()) : func::FuncOp();
  if (!func || func.getName() != "main" || !func.getBody().hasOneBlock())
    return error("random ops are supported in the main graph only, not inside a function "
                 "body or loop");
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (func.getArgAttr(i, kRngArgAttr))
      return func.getArgument(i);
  unsigned at = func.getNumArguments();
  Type type = RankedTensorType::get({4}, b.getI32Type());
  func.insertArgument(at, type, b.getDictionaryAttr({b.getNamedAttr(kRngArgAttr, b.getUnitAttr())}),
                      loc);
  return func.getArgument(at);
}

uint32_t randomKey(int64_t seed, int64_t seed2, llvm::StringRef nodeName) {
  uint32_t h = 2166136261u;
  auto mix = [&](uint8_t byte) { h = (h ^ byte) * 16777619u; };
  if (seed || seed2) {
    for (int64_t v : {seed, seed2})
      for (int i = 0; i < 8; ++i)
        mix(uint8_t(uint64_t(v) >> (8 * i)));
  } else {
    mix('#'); // never the key of a seeded op with the same bytes
    for (char c : nodeName)
      mix(uint8_t(c));
  }
  return h;
}

Value random(OpBuilder &b, Location loc, Type type, Value state, llvm::StringRef dist, uint32_t key,
             int64_t lo, int64_t hi, Value logits) {
  std::string attrs = ("dist=" + dist + ";key=" + llvm::Twine(key)).str();
  if (dist == "int")
    attrs += ";lo=" + std::to_string(lo) + ";hi=" + std::to_string(hi);
  SmallVector<Value> operands{state};
  if (logits)
    operands.push_back(logits);
  auto op = b.create<tosa::CustomOp>(loc, TypeRange{type}, "kiln.random", "kiln", attrs,
                                     ValueRange(operands));
  return op->getResult(0);
}

} // namespace kiln::import
