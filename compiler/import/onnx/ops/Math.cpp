//===- Math.cpp - trigonometric, hyperbolic and smooth activations --------===//
//
// ONNX's math ops that TOSA lacks, composed from TOSA elementwise ops so that
// they fuse into the kernels around them and run on every target: tan as
// sin/cos, the hyperbolic functions and their inverses through exp and log,
// atan as a range-reduced polynomial (asin and acos through it), Softplus,
// Softsign, Selu, Celu, Mish, Shrink, ThresholdedRelu, Sign, Round, IsInf,
// IsNaN.
// Accuracy: the compositions are within 1e-5 relative of libm on the
// conformance data (the runner's tolerance is rtol 1e-3).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <cmath>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// Short names over the shared builders, all on one node.
struct Math {
  OpContext &op;
  Value c(Value like, double v) { return scalarLike(op.builder(), op.loc(), like, v); }
  Value add(Value a, Value b) { return binary<tosa::AddOp>(op.builder(), op.loc(), a, b); }
  Value sub(Value a, Value b) { return binary<tosa::SubOp>(op.builder(), op.loc(), a, b); }
  Value mulv(Value a, Value b) { return mul(op.builder(), op.loc(), a, b); }
  Value div(Value a, Value b) { return mulv(a, unary<tosa::ReciprocalOp>(b)); }
  Value max(Value a, Value b) { return binary<tosa::MaximumOp>(op.builder(), op.loc(), a, b); }
  Value min(Value a, Value b) { return binary<tosa::MinimumOp>(op.builder(), op.loc(), a, b); }
  Value greater(Value a, Value b) {
    return binary<tosa::GreaterOp>(op.builder(), op.loc(), a, b, op.builder().getI1Type());
  }
  Value sel(Value p, Value a, Value b) { return select(op.builder(), op.loc(), p, a, b); }
  template <typename OpTy> Value unary(Value v) {
    return kiln::import::unary<OpTy>(op.builder(), op.loc(), v);
  }
  Value exp(Value v) { return unary<tosa::ExpOp>(v); }
  Value log(Value v) { return unary<tosa::LogOp>(v); }
  Value abs(Value v) { return unary<tosa::AbsOp>(v); }
  Value sqrt(Value v) { return unary<tosa::ReciprocalOp>(unary<tosa::RsqrtOp>(v)); }
  // -1, 0 or 1 (0 stays 0).
  Value sign(Value v) {
    Value zero = c(v, 0.0);
    return sel(greater(v, zero), c(v, 1.0), sel(greater(zero, v), c(v, -1.0), zero));
  }

  // atan on [-1, 1]: an odd minimax polynomial (max error 1e-5 rad);
  // beyond, atan(x) = sign(x) pi/2 - atan(1/x). Both branches are computed;
  // the select keeps the finite one (1/0 is inf at x = 0, never selected).
  Value atan(Value x) {
    auto poly = [&](Value t) {
      static constexpr double k[] = {-0.0117212, 0.05265332,  -0.11643287,
                                     0.19354346, -0.33262347, 0.99997726};
      Value t2 = mulv(t, t);
      Value acc = c(t, k[0]);
      for (int i = 1; i < 6; ++i)
        acc = add(mulv(acc, t2), c(t, k[i]));
      return mulv(acc, t);
    };
    Value big = greater(abs(x), c(x, 1.0));
    Value outer = sub(mulv(sign(x), c(x, M_PI / 2)), poly(unary<tosa::ReciprocalOp>(x)));
    return sel(big, outer, poly(x));
  }
  // asin(x) = atan(x / sqrt(1 - x^2)); at |x| = 1 that is atan(+-inf).
  Value asin(Value x) { return atan(div(x, sqrt(sub(c(x, 1.0), mulv(x, x))))); }
  Value softplus(Value x) {
    // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
    return add(max(x, c(x, 0.0)), log(add(c(x, 1.0), exp(unary<tosa::NegateOp>(abs(x))))));
  }
};

using MathFn = Value (*)(Math &m, OpContext &op, Value x);

template <MathFn fn> llvm::Error convertFloatUnary(OpContext &op) {
  if (!isa<FloatType>(op.elementType(0)))
    return op.fail(op.opType() + " is only supported on floating-point tensors");
  Math m{op};
  op.setValue(0, fn(m, op, op.value(0)));
  return llvm::Error::success();
}

Value sinFn(Math &m, OpContext &, Value x) { return m.unary<tosa::SinOp>(x); }
Value cosFn(Math &m, OpContext &, Value x) { return m.unary<tosa::CosOp>(x); }
Value tanFn(Math &m, OpContext &, Value x) {
  return m.div(m.unary<tosa::SinOp>(x), m.unary<tosa::CosOp>(x));
}
Value sinhFn(Math &m, OpContext &, Value x) {
  return m.mulv(m.sub(m.exp(x), m.exp(m.unary<tosa::NegateOp>(x))), m.c(x, 0.5));
}
Value coshFn(Math &m, OpContext &, Value x) {
  return m.mulv(m.add(m.exp(x), m.exp(m.unary<tosa::NegateOp>(x))), m.c(x, 0.5));
}
// sign(x) log(|x| + sqrt(x^2 + 1)): no cancellation for negative x.
Value asinhFn(Math &m, OpContext &, Value x) {
  Value a = m.abs(x);
  return m.mulv(m.sign(x), m.log(m.add(a, m.sqrt(m.add(m.mulv(a, a), m.c(x, 1.0))))));
}
Value acoshFn(Math &m, OpContext &, Value x) {
  return m.log(m.add(x, m.sqrt(m.sub(m.mulv(x, x), m.c(x, 1.0)))));
}
Value atanhFn(Math &m, OpContext &, Value x) {
  Value one = m.c(x, 1.0);
  return m.mulv(m.log(m.div(m.add(one, x), m.sub(one, x))), m.c(x, 0.5));
}
Value atanFn(Math &m, OpContext &, Value x) { return m.atan(x); }
Value asinFn(Math &m, OpContext &, Value x) { return m.asin(x); }
Value acosFn(Math &m, OpContext &, Value x) { return m.sub(m.c(x, M_PI / 2), m.asin(x)); }
Value softplusFn(Math &m, OpContext &, Value x) { return m.softplus(x); }
Value softsignFn(Math &m, OpContext &, Value x) { return m.div(x, m.add(m.c(x, 1.0), m.abs(x))); }
Value mishFn(Math &m, OpContext &, Value x) {
  return m.mulv(x, m.unary<tosa::TanhOp>(m.softplus(x)));
}
Value seluFn(Math &m, OpContext &op, Value x) {
  double alpha = op.attrFloat("alpha", 1.67326319217681884765625);
  double gamma = op.attrFloat("gamma", 1.05070102214813232421875);
  Value negative = m.mulv(m.sub(m.exp(x), m.c(x, 1.0)), m.c(x, alpha));
  return m.mulv(m.sel(m.greater(x, m.c(x, 0.0)), x, negative), m.c(x, gamma));
}
Value celuFn(Math &m, OpContext &op, Value x) {
  double alpha = op.attrFloat("alpha", 1.0);
  Value e = m.mulv(m.sub(m.exp(m.mulv(x, m.c(x, 1.0 / alpha))), m.c(x, 1.0)), m.c(x, alpha));
  return m.add(m.max(x, m.c(x, 0.0)), m.min(e, m.c(x, 0.0)));
}
Value thresholdedReluFn(Math &m, OpContext &op, Value x) {
  double alpha = op.attrFloat("alpha", 1.0);
  return m.sel(m.greater(x, m.c(x, alpha)), x, m.c(x, 0.0));
}
Value shrinkFn(Math &m, OpContext &op, Value x) {
  double lambd = op.attrFloat("lambd", 0.5), bias = op.attrFloat("bias", 0.0);
  Value zero = m.c(x, 0.0);
  Value low = m.sel(m.greater(m.c(x, -lambd), x), m.add(x, m.c(x, bias)), zero);
  return m.sel(m.greater(x, m.c(x, lambd)), m.sub(x, m.c(x, bias)), low);
}
Value signFn(Math &m, OpContext &, Value x) { return m.sign(x); }
// Round half to even: r = floor(x + 0.5), less one where x was a tie and r
// came out odd.
Value roundFn(Math &m, OpContext &, Value x) {
  Value half = m.c(x, 0.5);
  Value r = m.unary<tosa::FloorOp>(m.add(x, half));
  Value tie = binary<tosa::EqualOp>(m.op.builder(), m.op.loc(), m.sub(r, x), half,
                                    m.op.builder().getI1Type());
  Value halfR = m.mulv(r, half);
  Value odd = m.greater(halfR, m.unary<tosa::FloorOp>(halfR));
  Value fix = binary<tosa::LogicalAndOp>(m.op.builder(), m.op.loc(), tie, odd);
  return m.sel(fix, m.sub(r, m.c(x, 1.0)), r);
}

// IsNaN is not here: Halide compiles floats with fast-math flags, under
// which x != x folds to false; it needs an emitter that uses is_nan.
// IsNaN: x != x, as not(equal(x, x)); the equal emitter turns a float
// compared with itself into Halide's is_nan (fast math would fold x != x).
llvm::Error convertIsNaN(OpContext &op) {
  if (!isa<FloatType>(op.elementType(0)))
    return op.fail("IsNaN is only supported on floating-point tensors");
  Value x = op.value(0);
  Value same = binary<tosa::EqualOp>(op.builder(), op.loc(), x, x, op.builder().getI1Type());
  op.setValue(0, unary<tosa::LogicalNotOp>(op.builder(), op.loc(), same));
  return llvm::Error::success();
}

llvm::Error convertIsInf(OpContext &op) {
  if (!isa<FloatType>(op.elementType(0)))
    return op.fail("IsInf is only supported on floating-point tensors");
  Value x = op.value(0);
  Type i1 = op.builder().getI1Type();
  Math m{op};
  double inf = std::numeric_limits<double>::infinity();
  bool positive = op.attrInt("detect_positive", 1), negative = op.attrInt("detect_negative", 1);
  Value isPos = binary<tosa::EqualOp>(op.builder(), op.loc(), x, m.c(x, inf), i1);
  Value isNeg = binary<tosa::EqualOp>(op.builder(), op.loc(), x, m.c(x, -inf), i1);
  Value result;
  if (positive && negative)
    result = binary<tosa::LogicalOrOp>(op.builder(), op.loc(), isPos, isNeg);
  else if (positive)
    result = isPos;
  else if (negative)
    result = isNeg;
  else // neither: all false
    result = binary<tosa::LogicalAndOp>(op.builder(), op.loc(), isPos, isNeg);
  op.setValue(0, result);
  return llvm::Error::success();
}

} // namespace

void registerMathOps(OpTable &table) {
  table.add("Sin", convertFloatUnary<sinFn>);
  table.add("Cos", convertFloatUnary<cosFn>);
  table.add("Tan", convertFloatUnary<tanFn>);
  table.add("Asin", convertFloatUnary<asinFn>);
  table.add("Acos", convertFloatUnary<acosFn>);
  table.add("Atan", convertFloatUnary<atanFn>);
  table.add("Sinh", convertFloatUnary<sinhFn>);
  table.add("Cosh", convertFloatUnary<coshFn>);
  table.add("Asinh", convertFloatUnary<asinhFn>);
  table.add("Acosh", convertFloatUnary<acoshFn>);
  table.add("Atanh", convertFloatUnary<atanhFn>);
  table.add("Softplus", convertFloatUnary<softplusFn>);
  table.add("Softsign", convertFloatUnary<softsignFn>);
  table.add("Mish", convertFloatUnary<mishFn>);
  table.add("Selu", convertFloatUnary<seluFn>);
  table.add("Celu", convertFloatUnary<celuFn>);
  table.add("ThresholdedRelu", convertFloatUnary<thresholdedReluFn>);
  table.add("Shrink", convertFloatUnary<shrinkFn>);
  table.add("Sign", convertFloatUnary<signFn>);
  table.add("Round", convertFloatUnary<roundFn>);
  table.add("IsInf", convertIsInf);
  table.add("IsNaN", convertIsNaN);
}

} // namespace kiln::onnx_import
