//===- Sampling.cpp - float index arithmetic for the sampling ops ---------===//
#include "compiler/import/onnx/ops/Sampling.h"

#include "compiler/import/onnx/TosaHelpers.h"

using namespace mlir;

namespace kiln::onnx_import {

Value FloatMath::k(Value like, double v) { return scalarLike(b, loc, like, v); }
Value FloatMath::add(Value x, Value y) { return binary<tosa::AddOp>(b, loc, x, y); }
Value FloatMath::sub(Value x, Value y) { return binary<tosa::SubOp>(b, loc, x, y); }
Value FloatMath::mul(Value x, Value y) { return import::mul(b, loc, x, y); }
Value FloatMath::floor(Value x) { return unary<tosa::FloorOp>(b, loc, x); }
Value FloatMath::min(Value x, Value y) { return binary<tosa::MinimumOp>(b, loc, x, y); }
Value FloatMath::max(Value x, Value y) { return binary<tosa::MaximumOp>(b, loc, x, y); }
Value FloatMath::clamp(Value x, double lo, double hi) { return min(max(x, k(x, lo)), k(x, hi)); }
Value FloatMath::less(Value x, double y) {
  return binary<tosa::GreaterOp>(b, loc, k(x, y), x, b.getI1Type());
}
Value FloatMath::greater(Value x, double y) {
  return binary<tosa::GreaterOp>(b, loc, x, k(x, y), b.getI1Type());
}
Value FloatMath::both(Value p, Value q) { return binary<tosa::LogicalAndOp>(b, loc, p, q); }
Value FloatMath::either(Value p, Value q) { return binary<tosa::LogicalOrOp>(b, loc, p, q); }
Value FloatMath::select(Value p, Value x, Value y) { return import::select(b, loc, p, x, y); }
Value FloatMath::mask(Value p) { return castElements(b, loc, p, b.getF32Type()); }

Value FloatMath::roundEven(Value x) {
  // r = floor(x + 1/2) rounds ties up; an odd r from a tie goes back by one.
  Value r = floor(add(x, 0.5));
  Value tie = binary<tosa::EqualOp>(b, loc, sub(r, x), k(x, 0.5), b.getI1Type());
  Value odd = greater(sub(r, mul(floor(mul(r, 0.5)), 2.0)), 0.5);
  return select(both(tie, odd), add(r, -1.0), r);
}

Value FloatMath::trunc(Value x) {
  return select(less(x, 0.0), unary<tosa::CeilOp>(b, loc, x), floor(x));
}

Value FloatMath::reflect(Value x, double lo, double hi) {
  double range = hi - lo;
  // Distance past the nearer bound, in whole ranges n and a remainder r;
  // even n mirrors once at that bound, odd n lands from the other one.
  auto fold = [&](Value dx, double near, double far) {
    Value n = floor(mul(dx, 1.0 / range));
    Value r = sub(dx, mul(n, range));
    Value odd = greater(sub(n, mul(floor(mul(n, 0.5)), 2.0)), 0.5);
    double sign = near < far ? 1.0 : -1.0; // towards the inside
    return select(odd, add(mul(r, -sign), far), add(mul(r, sign), near));
  };
  Value below = fold(add(mul(x, -1.0), lo), lo, hi);
  Value above = fold(add(x, -hi), hi, lo);
  return select(less(x, lo), below, select(greater(x, hi), above, x));
}

Value gatherRows(OpBuilder &b, Location loc, Value image, Value rows) {
  llvm::ArrayRef<int64_t> is = typeOf(image).getShape(), rs = typeOf(rows).getShape();
  Value indices = castElements(b, loc, rows, b.getI32Type());
  return b
      .create<tosa::GatherOp>(loc, tensorOf({is[0], rs[1], is[2]}, typeOf(image).getElementType()),
                              image, indices)
      .getResult();
}

} // namespace kiln::onnx_import
