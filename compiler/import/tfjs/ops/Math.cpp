//===- Math.cpp - trigonometric, hyperbolic and other math functions ------===//
//
// The math functions of TF.js's basic_math and arithmetic op lists that
// TOSA has no op for, composed from the ones it has. Where a formula loses
// precision the comment says how much; the op suite (test/tfjs-ops) holds
// each to 1e-5 + 1e-4 * |value| of TF.js, which calls JavaScript's Math.
//
// Atan is Cephes' atanf (range reduction to |x| <= tan(pi/8), then a
// degree-9 odd polynomial: about 2 ulp), and the inverse functions build on
// it and on log: TOSA (and Halide 14's portable math) have no atan.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// Elementwise arithmetic at one node's location, on float tensors.
struct Math {
  OpContext &node;
  OpBuilder &b;
  Location loc;
  explicit Math(OpContext &n) : node(n), b(n.builder()), loc(n.loc()) {}

  Value c(Value like, double v) { return scalarLike(b, loc, like, v); }
  Value add(Value x, Value y) { return binary<tosa::AddOp>(b, loc, x, y); }
  Value sub(Value x, Value y) { return binary<tosa::SubOp>(b, loc, x, y); }
  Value mul(Value x, Value y) { return import::mul(b, loc, x, y); }
  Value div(Value x, Value y) { return mul(x, unary<tosa::ReciprocalOp>(b, loc, y)); }
  Value exp(Value x) { return unary<tosa::ExpOp>(b, loc, x); }
  Value log(Value x) { return unary<tosa::LogOp>(b, loc, x); }
  Value abs(Value x) { return unary<tosa::AbsOp>(b, loc, x); }
  Value floor(Value x) { return unary<tosa::FloorOp>(b, loc, x); }
  Value sqrt(Value x) { return binary<tosa::PowOp>(b, loc, x, c(x, 0.5)); }
  Value gt(Value x, Value y) { return binary<tosa::GreaterOp>(b, loc, x, y, b.getI1Type()); }
  Value eq(Value x, Value y) { return binary<tosa::EqualOp>(b, loc, x, y, b.getI1Type()); }
  Value lnot(Value x) { return b.create<tosa::LogicalNotOp>(loc, x.getType(), x).getResult(); }
  Value land(Value x, Value y) { return binary<tosa::LogicalAndOp>(b, loc, x, y); }
  Value sel(Value p, Value x, Value y) { return select(b, loc, p, x, y); }
  Value where(Value p, double x, Value y) { return sel(p, c(y, x), y); }

  // Cephes atanf.
  Value atan(Value x) {
    Value ax = abs(x);
    Value big = gt(ax, c(ax, 2.414213562373095)), mid = gt(ax, c(ax, 0.4142135623730950));
    Value reduced = sel(big, unary<tosa::NegateOp>(b, loc, unary<tosa::ReciprocalOp>(b, loc, ax)),
                        sel(mid, div(sub(ax, c(ax, 1)), add(ax, c(ax, 1))), ax));
    Value offset = sel(big, c(ax, M_PI_2), sel(mid, c(ax, M_PI_4), c(ax, 0)));
    Value z = mul(reduced, reduced);
    Value p = add(mul(c(z, 8.05374449538e-2), z), c(z, -1.38776856032e-1));
    p = add(mul(p, z), c(z, 1.99777106478e-1));
    p = add(mul(p, z), c(z, -3.33329491539e-1));
    Value r = add(offset, add(mul(mul(p, z), reduced), reduced));
    return sel(gt(c(x, 0), x), unary<tosa::NegateOp>(b, loc, r), r);
  }
  // sqrt(x*x + s), for asinh (s = 1) and acosh (s = -1).
  Value hyp(Value x, double s) { return sqrt(add(mul(x, x), c(x, s))); }
};

llvm::Error requireFloat(OpContext &node) {
  for (int i = 0; i < node.numInputs(); ++i)
    if (node.dtype(i) != DType::F32)
      return node.fail("only float32 operands are supported, not " + dtypeName(node.dtype(i)));
  return llvm::Error::success();
}

llvm::Error convertUnaryMath(OpContext &node) {
  if (llvm::Error err = requireFloat(node))
    return err;
  Math m(node);
  Value x = node.value(0);
  llvm::StringRef op = node.opType();
  Value out;
  if (op == "Sin")
    out = unary<tosa::SinOp>(m.b, m.loc, x);
  else if (op == "Cos")
    out = unary<tosa::CosOp>(m.b, m.loc, x);
  else if (op == "Tan")
    out = m.div(unary<tosa::SinOp>(m.b, m.loc, x), unary<tosa::CosOp>(m.b, m.loc, x));
  else if (op == "Atan")
    out = m.atan(x);
  else if (op == "Asin") // atan(x / sqrt(1 - x^2)); +-1 give +-inf, whose atan is +-pi/2
    out = m.atan(m.div(x, m.sqrt(m.sub(m.c(x, 1), m.mul(x, x)))));
  else if (op == "Acos") // 2 atan(sqrt((1 - x) / (1 + x))): no cancellation near 1
    out = m.mul(m.c(x, 2), m.atan(m.sqrt(m.div(m.sub(m.c(x, 1), x), m.add(m.c(x, 1), x)))));
  else if (op == "Sinh") // (e^x - e^-x) / 2: absolute error about 1e-7 near 0
    out = m.mul(m.c(x, 0.5), m.sub(m.exp(x), m.exp(unary<tosa::NegateOp>(m.b, m.loc, x))));
  else if (op == "Cosh")
    out = m.mul(m.c(x, 0.5), m.add(m.exp(x), m.exp(unary<tosa::NegateOp>(m.b, m.loc, x))));
  else if (op == "Asinh") { // sign(x) log(|x| + sqrt(x^2 + 1)): odd, no cancellation
    Value ax = m.abs(x);
    Value r = m.log(m.add(ax, m.hyp(ax, 1)));
    out = m.sel(m.gt(m.c(x, 0), x), unary<tosa::NegateOp>(m.b, m.loc, r), r);
  } else if (op == "Acosh")
    out = m.log(m.add(x, m.hyp(x, -1)));
  else if (op == "Atanh") // log((1 + x) / (1 - x)) / 2
    out = m.mul(m.c(x, 0.5), m.log(m.div(m.add(m.c(x, 1), x), m.sub(m.c(x, 1), x))));
  else if (op == "Erf")
    out = unary<tosa::ErfOp>(m.b, m.loc, x);
  else if (op == "Expm1") // absolute error about 1e-7 near 0
    out = m.sub(m.exp(x), m.c(x, 1));
  else if (op == "Log1p")
    out = m.log(m.add(x, m.c(x, 1)));
  else if (op == "Softplus") {
    // TF.js: x above -threshold, exp(x) below threshold, else log(exp(x) + 1),
    // threshold = log(float32 epsilon) + 2.
    double threshold = std::log(1.1920928955078125e-7) + 2;
    Value e = m.exp(x);
    Value r = m.sel(m.gt(m.c(x, threshold), x), e, m.log(m.add(e, m.c(x, 1))));
    out = m.sel(m.gt(x, m.c(x, -threshold)), x, r);
  } else if (op == "Selu") {
    const double alpha = 1.6732632423543772848170429916717;
    const double scale = 1.0507009873554804934193349852946;
    Value negative = m.mul(m.c(x, alpha * scale), m.sub(m.exp(x), m.c(x, 1)));
    out = m.sel(m.gt(x, m.c(x, 0)), m.mul(x, m.c(x, scale)), negative);
  } else if (op == "Round") {
    // Half to even, as TF.js: floor, then up past .5, and at .5 to the even
    // neighbour.
    Value f = m.floor(x), d = m.sub(x, f);
    Value odd = m.sub(f, m.mul(m.c(f, 2), m.floor(m.mul(f, m.c(f, 0.5)))));
    out = m.sel(m.gt(d, m.c(d, 0.5)), m.add(f, m.c(f, 1)),
                m.sel(m.gt(m.c(d, 0.5), d), f, m.add(f, odd)));
  } else if (op == "IsNan" || op == "IsInf" || op == "IsFinite") {
    // Comparisons with the infinities, which NaN fails: x != x and x - x
    // would be simplified away (Halide assumes no NaN outside strict_float).
    double inf = std::numeric_limits<double>::infinity();
    Value aboveNegInf = m.gt(x, m.c(x, -inf)), belowInf = m.gt(m.c(x, inf), x);
    if (op == "IsNan")
      out = m.lnot(binary<tosa::GreaterEqualOp>(m.b, m.loc, x, m.c(x, -inf), m.b.getI1Type()));
    else if (op == "IsInf")
      out = m.eq(m.abs(x), m.c(x, inf));
    else
      out = m.land(aboveNegInf, belowInf);
  }
  node.setValue(0, out);
  return llvm::Error::success();
}

// Sign works on int32 too.
llvm::Error convertSign(OpContext &node) {
  if (node.dtype(0) == DType::Bool)
    return node.fail("Sign of a bool tensor is not supported");
  Math m(node);
  Value x = node.value(0);
  node.setValue(0, m.where(m.gt(x, m.c(x, 0)), 1, m.where(m.gt(m.c(x, 0), x), -1, m.c(x, 0))));
  return llvm::Error::success();
}

// atan(y / x), moved to the quadrant of (x, y): x < 0 adds pi (y >= 0) or
// subtracts it; x == 0 gives +-pi/2 by y's sign, 0 at y == 0.
Value atan2(Math &m, Value y, Value x) {
  Value a = m.atan(m.div(y, x));
  Value zero = m.c(a, 0);
  Value xNeg = m.gt(zero, x), yNeg = m.gt(zero, y), xZero = m.eq(x, m.c(x, 0));
  Value out = m.sel(xNeg, m.sel(yNeg, m.sub(a, m.c(a, M_PI)), m.add(a, m.c(a, M_PI))), a);
  Value onAxis = m.sel(m.gt(y, m.c(y, 0)), m.c(a, M_PI_2), m.sel(yNeg, m.c(a, -M_PI_2), zero));
  return m.sel(xZero, onAxis, out);
}

// int32 Pow as TF.js computes it (Math.pow, stored in an Int32Array): by
// squaring, one step per bit of the exponent (as many as its largest known
// value needs, else 31); products wrap as int32 multiplies do, where
// Math.pow rounds above 2^53 first. A negative exponent gives a fraction
// that the store truncates: 1 for a base of 1, +-1 for -1 by the
// exponent's parity, 0 otherwise (0 to a negative power is Infinity, which
// an Int32Array stores as 0).
Value intPow(Math &m, Value a, Value e, const Literal *known, llvm::ArrayRef<int64_t> shape) {
  int bits = 31;
  if (known) {
    int64_t top = 0;
    for (int64_t v : known->ints())
      top = std::max(top, v);
    for (bits = 0; bits < 31 && (int64_t{1} << bits) <= top; ++bits) {
    }
  }
  Value result = splatConstant(m.b, m.loc, typeOf(a).getElementType(), 1, shape);
  Value base = a;
  for (int bit = 0; bit < bits; ++bit) {
    Value set = m.gt(binary<tosa::BitwiseAndOp>(m.b, m.loc, e, m.c(e, 1 << bit)), m.c(e, 0));
    result = m.sel(set, m.mul(result, base), result);
    if (bit + 1 < bits)
      base = m.mul(base, base);
  }
  Value negative = m.gt(m.c(e, 0), e);
  Value odd = m.gt(binary<tosa::BitwiseAndOp>(m.b, m.loc, e, m.c(e, 1)), m.c(e, 0));
  Value minusOne = m.sel(odd, m.c(a, -1), m.c(a, 1));
  Value fraction =
      m.sel(m.eq(a, m.c(a, 1)), m.c(a, 1), m.sel(m.eq(a, m.c(a, -1)), minusOne, m.c(a, 0)));
  return m.sel(negative, fraction, result);
}

llvm::Error convertBinaryFloat(OpContext &node) {
  auto shape = broadcastShapes(node.shape(0), node.shape(1));
  if (!shape)
    return node.fail(llvm::toString(shape.takeError()));
  Math m(node);
  if (node.opType() == "Pow" && node.dtype(0) == DType::I32 && node.dtype(1) == DType::I32) {
    node.setValue(0, intPow(m, node.valueWithRank(0, shape->size()),
                            node.valueWithRank(1, shape->size()), node.literal(1), *shape));
    return llvm::Error::success();
  }
  if (llvm::Error err = requireFloat(node))
    return err;
  Value a = node.valueWithRank(0, shape->size()), b = node.valueWithRank(1, shape->size());
  if (node.opType() == "Pow") {
    node.setValue(0, binary<tosa::PowOp>(m.b, m.loc, a, b));
  } else if (node.opType() == "Atan2") {
    node.setValue(0, atan2(m, a, b));
  } else { // DivNoNan: 0 where the divisor is 0
    Value q = m.div(a, b);
    node.setValue(0, m.sel(m.eq(b, m.c(b, 0)), m.c(q, 0), q));
  }
  return llvm::Error::success();
}

// ClipByValue(x, lo, hi): min(max(x, lo), hi), bounds broadcast.
llvm::Error convertClipByValue(OpContext &node) {
  if (node.dtype(0) == DType::Bool || node.dtype(1) != node.dtype(0) ||
      node.dtype(2) != node.dtype(0))
    return node.fail("ClipByValue needs float32 or int32 operands of one type");
  Math m(node);
  int64_t rank = std::max({node.rank(0), node.rank(1), node.rank(2)});
  Value x = node.valueWithRank(0, rank);
  Value out = binary<tosa::MaximumOp>(m.b, m.loc, x, node.valueWithRank(1, rank));
  out = binary<tosa::MinimumOp>(m.b, m.loc, out, node.valueWithRank(2, rank));
  if (typeOf(out).getShape() != typeOf(x).getShape())
    return node.fail("the bounds " + shapeString(node.shape(1)) + " and " +
                     shapeString(node.shape(2)) + " are larger than x " +
                     shapeString(node.shape(0)));
  node.setValue(0, out);
  return llvm::Error::success();
}

} // namespace

void registerMathOps(OpTable &table) {
  for (const char *op : {"Sin",      "Cos",   "Tan",   "Asin",  "Acos",  "Atan",    "Sinh",
                         "Cosh",     "Asinh", "Acosh", "Atanh", "Erf",   "Expm1",   "Log1p",
                         "Softplus", "Selu",  "Round", "IsNan", "IsInf", "IsFinite"})
    table.add(op, convertUnaryMath, 1, 1);
  table.add("Sign", convertSign, 1, 1);
  table.add("Atan2", convertBinaryFloat, 2, 2);
  table.add("Pow", convertBinaryFloat, 2, 2);
  table.add("DivNoNan", convertBinaryFloat, 2, 2);
  table.add("ClipByValue", convertClipByValue, 3, 3);
}

} // namespace kiln::tfjs_import
