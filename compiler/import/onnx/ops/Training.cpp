//===- Training.cpp - Adagrad, Adam, Momentum (ai.onnx.preview.training) --===//
//
// The optimiser steps of ONNX's training domain are deterministic
// elementwise formulas over their tensors, so they compile like any other
// elementwise op: each (X, G[, V][, H]) group is a few TOSA ops fused into one
// kernel. The learning rate R and the step count T are scalar tensors
// (inputs or constants): T's branches (Adam's bias correction and
// Momentum's first step, "if T > 0") are selects, and Adam's alpha^T and
// beta^T are pow of a constant base, all computed at run time. The formulas
// are those of the ONNX operator documentation (and its reference code):
//   Adagrad: r = R / (1 + T decay_factor); g = norm_coefficient X + G;
//            H' = H + g^2; X' = X - r g / (sqrt(H') + epsilon)
//   Adam:    g as above; V' = alpha V + (1 - alpha) g;
//            H' = beta H + (1 - beta) g^2;
//            r = T > 0 ? R sqrt(1 - beta^T) / (1 - alpha^T) : R;
//            X' = (1 - norm_coefficient_post) (X - r V' / (sqrt(H') + epsilon))
//   Momentum: g as above; b = T > 0 ? beta : 1; V' = alpha V + b g;
//            standard: X' = X - R V'; nesterov: X' = X - R (g + alpha V')
// Inputs are R, T, then n X's, n G's and n of each state (V, H); outputs the
// n X's, then each state's n tensors, in the order of the inputs.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// Elementwise helpers over one float element type, with broadcasting.
struct Formula {
  OpBuilder &b;
  Location loc;
  Type element;

  Value k(double v) const { return splatConstant(b, loc, element, v, {}); }
  Value add(Value x, Value y) const { return binary<tosa::AddOp>(b, loc, x, y); }
  Value sub(Value x, Value y) const { return binary<tosa::SubOp>(b, loc, x, y); }
  Value mul(Value x, Value y) const { return kiln::import::mul(b, loc, x, y); }
  Value div(Value x, Value y) const { return mul(x, unary<tosa::ReciprocalOp>(b, loc, y)); }
  // sqrt(x) = 1 / rsqrt(x), as ONNX's Sqrt (TOSA has no sqrt).
  Value sqrt(Value x) const {
    return unary<tosa::ReciprocalOp>(b, loc, unary<tosa::RsqrtOp>(b, loc, x));
  }
  Value pow(Value base, Value exponent) const {
    return binary<tosa::PowOp>(b, loc, base, exponent);
  }
  Value select(Value pred, Value x, Value y) const {
    return kiln::import::select(b, loc, pred, x, y);
  }
};

// What every optimiser shares: the checks of its inputs, R and T as
// elements of X's type, and "T > 0".
struct Step {
  int n = 0; // tensors optimised
  Value r, t, tPositive;
  Type element;
};

llvm::Expected<Step> readStep(OpContext &op, int states) {
  Step s;
  int tensors = op.numInputs() - 2;
  if (tensors <= 0 || tensors % (2 + states) != 0)
    return op.fail("takes R, T and " + llvm::Twine(2 + states) +
                   " inputs per optimised tensor, not " + llvm::Twine(op.numInputs()) + " inputs");
  s.n = tensors / (2 + states);
  if (op.numOutputs() != s.n * (1 + states))
    return op.fail("has " + llvm::Twine(op.numOutputs()) + " outputs, not " +
                   llvm::Twine(s.n * (1 + states)) + " (X and its states for each tensor)");
  s.element = op.elementType(2);
  if (!isa<FloatType>(s.element))
    return op.fail("optimises floating-point tensors only");
  for (int i = 2; i < op.numInputs(); ++i) {
    if (op.elementType(i) != s.element)
      return op.fail("input '" + op.inputName(i) + "' has another element type than X");
    int x = 2 + (i - 2) % s.n;
    if (op.shape(i) != op.shape(x))
      return op.fail("input '" + op.inputName(i) + "' has another shape than '" + op.inputName(x) +
                     "'");
  }
  if (!isa<FloatType>(op.elementType(0)) || op.type(0).getNumElements() != 1)
    return op.fail("R must be one floating-point value");
  if (!op.elementType(1).isInteger(64) || op.type(1).getNumElements() != 1)
    return op.fail("T must be one int64 value");
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  s.r = castElements(b, loc, op.value(0), s.element);
  Value t = op.value(1);
  s.tPositive = binary<tosa::GreaterOp>(b, loc, t, splatConstant(b, loc, op.elementType(1), 0, {}),
                                        b.getI1Type());
  s.t = castElements(b, loc, t, s.element);
  return s;
}

llvm::Error convertAdagrad(OpContext &op) {
  auto step = readStep(op, 1);
  if (!step)
    return step.takeError();
  Formula f{op.builder(), op.loc(), step->element};
  float decay = op.attrFloat("decay_factor", 0), eps = op.attrFloat("epsilon", 0),
        norm = op.attrFloat("norm_coefficient", 0);
  Value r = f.div(step->r, f.add(f.k(1), f.mul(step->t, f.k(decay))));
  for (int i = 0; i < step->n; ++i) {
    Value x = op.value(2 + i), g = op.value(2 + step->n + i), h = op.value(2 + 2 * step->n + i);
    Value gReg = f.add(f.mul(f.k(norm), x), g);
    Value hNew = f.add(h, f.mul(gReg, gReg));
    Value xNew = f.sub(x, f.div(f.mul(r, gReg), f.add(f.sqrt(hNew), f.k(eps))));
    op.setValue(i, xNew);
    op.setValue(step->n + i, hNew);
  }
  return llvm::Error::success();
}

llvm::Error convertAdam(OpContext &op) {
  auto step = readStep(op, 2);
  if (!step)
    return step.takeError();
  Formula f{op.builder(), op.loc(), step->element};
  float alpha = op.attrFloat("alpha", 0.9f), beta = op.attrFloat("beta", 0.999f),
        eps = op.attrFloat("epsilon", 0), norm = op.attrFloat("norm_coefficient", 0),
        post = op.attrFloat("norm_coefficient_post", 0);
  // r = T > 0 ? R sqrt(1 - beta^T) / (1 - alpha^T) : R. The select keeps
  // T = 0's division by zero out of the result.
  Value corrected = f.div(f.mul(step->r, f.sqrt(f.sub(f.k(1), f.pow(f.k(beta), step->t)))),
                          f.sub(f.k(1), f.pow(f.k(alpha), step->t)));
  Value r = f.select(step->tPositive, corrected, step->r);
  int n = step->n;
  for (int i = 0; i < n; ++i) {
    Value x = op.value(2 + i), g = op.value(2 + n + i), v = op.value(2 + 2 * n + i),
          h = op.value(2 + 3 * n + i);
    Value gReg = f.add(f.mul(f.k(norm), x), g);
    Value vNew = f.add(f.mul(f.k(alpha), v), f.mul(f.k(1.0 - alpha), gReg));
    Value hNew = f.add(f.mul(f.k(beta), h), f.mul(f.k(1.0 - beta), f.mul(gReg, gReg)));
    Value xNew = f.sub(x, f.mul(r, f.div(vNew, f.add(f.sqrt(hNew), f.k(eps)))));
    op.setValue(i, f.mul(f.k(1.0 - post), xNew));
    op.setValue(n + i, vNew);
    op.setValue(2 * n + i, hNew);
  }
  return llvm::Error::success();
}

llvm::Error convertMomentum(OpContext &op) {
  std::string mode = op.attrString("mode", "");
  if (mode != "standard" && mode != "nesterov")
    return op.fail("mode must be 'standard' or 'nesterov', not '" + mode + "'");
  for (const char *required : {"alpha", "beta", "norm_coefficient"})
    if (!op.hasAttr(required))
      return op.fail("needs the attribute '" + llvm::Twine(required) + "'");
  auto step = readStep(op, 1);
  if (!step)
    return step.takeError();
  Formula f{op.builder(), op.loc(), step->element};
  float alpha = op.attrFloat("alpha", 0), beta = op.attrFloat("beta", 0),
        norm = op.attrFloat("norm_coefficient", 0);
  Value betaAdjusted = f.select(step->tPositive, f.k(beta), f.k(1));
  int n = step->n;
  for (int i = 0; i < n; ++i) {
    Value x = op.value(2 + i), g = op.value(2 + n + i), v = op.value(2 + 2 * n + i);
    Value gReg = f.add(f.mul(f.k(norm), x), g);
    Value vNew = f.add(f.mul(f.k(alpha), v), f.mul(betaAdjusted, gReg));
    Value delta = mode == "standard" ? vNew : f.add(gReg, f.mul(f.k(alpha), vNew));
    op.setValue(i, f.sub(x, f.mul(step->r, delta)));
    op.setValue(n + i, vNew);
  }
  return llvm::Error::success();
}

} // namespace

void registerTrainingOps(OpTable &table) {
  table.add("Adagrad", convertAdagrad);
  table.add("Adam", convertAdam);
  table.add("Momentum", convertMomentum);
}

} // namespace kiln::onnx_import
