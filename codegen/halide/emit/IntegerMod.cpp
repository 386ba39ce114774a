//===- IntegerMod.cpp - tosa.custom "kiln.mod": integer Mod at any width ---===//
//
// TOSA's int_div is int32 only, so the ONNX importer (ops/Logic.cpp) makes
// Mod on int64, uint32 and uint64 one tosa.custom "kiln.mod" (x, y) with
// TOSA broadcasting. Halide's own % is Euclidean (never negative); ONNX's
// Mod is the truncated remainder (implementation "fmod", C's fmod/%) or that
// remainder moved into the divisor's sign ("sign_of_divisor", Python's %).
// ONNX leaves a zero divisor undefined; Halide defines it (no trap).
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

llvm::Error emitMod(tosa::CustomOp custom, EmitContext &ctx) {
  Operation *op = custom;
  if (op->getNumOperands() != 2 || op->getNumResults() != 1)
    return opError(op, "'kiln.mod' takes two operands and has one result");
  auto type = halideType(cast<ShapedType>(op->getResult(0).getType()).getElementType());
  if (!type)
    return opError(op, llvm::toString(type.takeError()));
  llvm::StringRef mode = custom.getImplementationAttrs();
  if (mode != "fmod" && mode != "sign_of_divisor")
    return opError(op,
                   "'kiln.mod' implementation must be fmod or sign_of_divisor, not '" + mode + "'");
  const HTensor &x = ctx.lookup(op->getOperand(0));
  const HTensor &y = ctx.lookup(op->getOperand(1));
  if (!type->is_int_or_uint() || x.type != *type || y.type != *type)
    return opError(op, "'kiln.mod' takes and makes integers of one type");
  bool fmod = mode == "fmod";
  Halide::Type t = *type;
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  return ctx.definePure(op->getResult(0), "mod", [&](const std::vector<Expr> &i) -> Expr {
    Expr a = ctx.broadcastAt(x, shape, i), b = ctx.broadcastAt(y, shape, i);
    Expr r = Halide::mod_round_to_zero(a, b);
    if (fmod || t.is_uint())
      return r; // unsigned: the remainder already has the divisor's sign
    Expr zero = Halide::cast(t, 0);
    // A non-zero remainder whose sign differs from the divisor's moves by b.
    return Halide::select(r != zero && ((r < zero) != (b < zero)), r + b, r);
  });
}

} // namespace

void registerIntegerModEmitters(EmitterTable &table) {
  table["tosa.custom:kiln.mod"] = [](Operation *op, EmitContext &ctx) -> llvm::Error {
    return emitMod(cast<tosa::CustomOp>(op), ctx);
  };
}

} // namespace kiln::codegen
