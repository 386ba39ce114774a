//===- Logic.cpp - And, Or, Xor, comparisons, BitShift, Mod ---------------===//
//
// Boolean ops map to TOSA's logical ops on i1; GreaterOrEqual and LessOrEqual
// to greater_equal; BitShift to TOSA's logical shifts (ONNX shifts unsigned
// integers only). Mod: fmod = 1 is C's fmod (truncated), fmod = 0 takes the
// divisor's sign (Python's %); both from a truncated quotient, so integer
// Mod needs TOSA's int_div, which is int32: narrower integers widen to it.
// int64, uint32 and uint64 do not fit int32: they are one tosa.custom
// "kiln.mod" (implementation "fmod" or "sign_of_divisor"), emitted as
// Halide's truncated remainder at the element type's own width
// (codegen/halide/emit/IntegerMod.cpp).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

template <typename OpTy> llvm::Error convertLogical(OpContext &op) {
  if (!op.elementType(0).isInteger(1) || !op.elementType(1).isInteger(1))
    return op.fail(op.opType() + " takes bool tensors");
  op.setValue(0, binary<OpTy>(op.builder(), op.loc(), op.value(0), op.value(1)));
  return llvm::Error::success();
}

// a >= b, or b >= a for LessOrEqual.
template <bool less> llvm::Error convertOrEqual(OpContext &op) {
  Value a = op.value(less ? 1 : 0), b = op.value(less ? 0 : 1);
  op.setValue(0,
              binary<tosa::GreaterEqualOp>(op.builder(), op.loc(), a, b, op.builder().getI1Type()));
  return llvm::Error::success();
}

llvm::Error convertBitShift(OpContext &op) {
  Type element = op.elementType(0);
  if (!element.isUnsignedInteger())
    return op.fail("BitShift takes unsigned integer tensors");
  std::string direction = op.attrString("direction", "");
  Value x = op.value(0), s = op.value(1);
  if (direction == "LEFT")
    op.setValue(0, binary<tosa::LogicalLeftShiftOp>(op.builder(), op.loc(), x, s));
  else if (direction == "RIGHT")
    op.setValue(0, binary<tosa::LogicalRightShiftOp>(op.builder(), op.loc(), x, s));
  else
    return op.fail("direction must be LEFT or RIGHT, not '" + direction + "'");
  return llvm::Error::success();
}

llvm::Error convertMod(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  Type element = op.elementType(0);
  Type i1 = b.getI1Type();
  bool fmod = op.attrInt("fmod", 0);
  Value x = op.value(0), y = op.value(1);
  if (isa<FloatType>(element)) {
    if (!fmod)
      return op.fail("Mod on floating-point tensors needs fmod = 1");
    // x - trunc(x / y) * y.
    Value q = mul(b, loc, x, unary<tosa::ReciprocalOp>(b, loc, y));
    Value zero = scalarLike(b, loc, q, 0.0);
    Value trunc = select(b, loc, binary<tosa::GreaterEqualOp>(b, loc, q, zero, i1),
                         unary<tosa::FloorOp>(b, loc, q), unary<tosa::CeilOp>(b, loc, q));
    op.setValue(0, binary<tosa::SubOp>(b, loc, x, mul(b, loc, trunc, y)));
    return llvm::Error::success();
  }
  unsigned width = element.getIntOrFloatBitWidth();
  if (!element.isInteger(width) || element.isInteger(1))
    return op.fail("Mod is supported on floating-point and integer tensors, not on " +
                   dtypeName(dtypeFor(element)));
  if (width > 32 || (width == 32 && element.isUnsignedInteger())) {
    Value operands[] = {x, y};
    auto shape = broadcastOperands(b, loc, operands);
    auto custom =
        b.create<tosa::CustomOp>(loc, TypeRange{tensorOf(shape, element)}, "kiln.mod", "kiln",
                                 fmod ? "fmod" : "sign_of_divisor", ValueRange(operands));
    op.setValue(0, custom->getResult(0));
    return llvm::Error::success();
  }
  Type i32 = b.getI32Type();
  x = castElements(b, loc, x, i32);
  y = castElements(b, loc, y, i32);
  Value r = binary<tosa::SubOp>(b, loc, x,
                                mul(b, loc, binary<tosa::IntDivOp>(b, loc, x, y), y)); // sign of x
  if (!fmod) {
    // A non-zero remainder whose sign differs from the divisor's moves by y.
    Value zero = scalarLike(b, loc, r, 0.0);
    Value rNeg = binary<tosa::GreaterOp>(b, loc, zero, r, i1);
    Value yNeg = binary<tosa::GreaterOp>(b, loc, zero, y, i1);
    Value nonZero = unary<tosa::LogicalNotOp>(b, loc, binary<tosa::EqualOp>(b, loc, r, zero, i1));
    Value differ =
        binary<tosa::LogicalAndOp>(b, loc, nonZero, binary<tosa::LogicalXorOp>(b, loc, rNeg, yNeg));
    r = select(b, loc, differ, binary<tosa::AddOp>(b, loc, r, y), r);
  }
  op.setValue(0, castElements(b, loc, r, element));
  return llvm::Error::success();
}

} // namespace

void registerLogicOps(OpTable &table) {
  table.add("And", convertLogical<tosa::LogicalAndOp>);
  table.add("Or", convertLogical<tosa::LogicalOrOp>);
  table.add("Xor", convertLogical<tosa::LogicalXorOp>);
  table.add("GreaterOrEqual", convertOrEqual<false>);
  table.add("LessOrEqual", convertOrEqual<true>);
  table.add("BitShift", convertBitShift);
  table.add("Mod", convertMod);
}

} // namespace kiln::onnx_import
