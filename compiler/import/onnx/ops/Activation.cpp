//===- Activation.cpp - Relu, Clip, sigmoids, Softmax, ... ----------------===//
//
// Activations become the TOSA ops the graph phase fuses best: clamps where
// the function is a clamp (Relu, Clip, Relu6, the hard sigmoids), maximum
// for the usual LeakyRelu slopes, select otherwise.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <limits>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

llvm::Error convertRelu(OpContext &op) {
  op.setValue(0, clamp(op.builder(), op.loc(), op.value(0), 0.0, kInf));
  return llvm::Error::success();
}

// Clip-6 has min/max attributes; Clip-11 optional inputs.
llvm::Error convertClip(OpContext &op) {
  Value x = op.value(0);
  if (op.opset() < 11) {
    op.setValue(0, clamp(op.builder(), op.loc(), x,
                         op.attrFloat("min", -std::numeric_limits<float>::max()),
                         op.attrFloat("max", std::numeric_limits<float>::max())));
    return llvm::Error::success();
  }
  double bounds[2] = {-kInf, kInf};
  bool constantBounds = true;
  for (int i = 1; i <= 2; ++i) {
    if (!op.hasInput(i))
      continue;
    const Literal *bound = op.literal(i);
    if (bound && bound->size() == 1)
      bounds[i - 1] = bound->doubleAt(0);
    else
      constantBounds = false;
  }
  if (constantBounds) {
    op.setValue(0, clamp(op.builder(), op.loc(), x, bounds[0], bounds[1]));
    return llvm::Error::success();
  }
  // Bounds computed at run time: max(min(x, hi), lo) as ONNX defines it.
  if (op.hasInput(2))
    x = binary<tosa::MinimumOp>(op.builder(), op.loc(), x, op.value(2));
  if (op.hasInput(1))
    x = binary<tosa::MaximumOp>(op.builder(), op.loc(), x, op.value(1));
  op.setValue(0, x);
  return llvm::Error::success();
}

llvm::Error convertLeakyRelu(OpContext &op) {
  Value x = op.value(0);
  double alpha = op.attrFloat("alpha", 0.01f);
  Value scaled = mul(op.builder(), op.loc(), x, scalarLike(op.builder(), op.loc(), x, alpha));
  if (alpha >= 0.0 && alpha <= 1.0) {
    // For 0 <= alpha <= 1, max(x, alpha * x) is the same function.
    op.setValue(0, binary<tosa::MaximumOp>(op.builder(), op.loc(), x, scaled));
    return llvm::Error::success();
  }
  Value positive = binary<tosa::GreaterEqualOp>(op.builder(), op.loc(), x,
                                                scalarLike(op.builder(), op.loc(), x, 0.0),
                                                op.builder().getI1Type());
  op.setValue(0, select(op.builder(), op.loc(), positive, x, scaled));
  return llvm::Error::success();
}

llvm::Error convertPRelu(OpContext &op) {
  Value x = op.value(0);
  Value slope = op.value(1);
  if (llvm::Error err = op.checkBroadcastsTo(1, op.shape(0), "slope"))
    return err;
  Value positive = binary<tosa::GreaterEqualOp>(op.builder(), op.loc(), x,
                                                scalarLike(op.builder(), op.loc(), x, 0.0),
                                                op.builder().getI1Type());
  op.setValue(0,
              select(op.builder(), op.loc(), positive, x, mul(op.builder(), op.loc(), x, slope)));
  return llvm::Error::success();
}

llvm::Error convertSigmoid(OpContext &op) {
  op.setValue(0, unary<tosa::SigmoidOp>(op.builder(), op.loc(), op.value(0)));
  return llvm::Error::success();
}

llvm::Error convertTanh(OpContext &op) {
  op.setValue(0, unary<tosa::TanhOp>(op.builder(), op.loc(), op.value(0)));
  return llvm::Error::success();
}

// max(0, min(1, alpha * x + beta))
Value hardSigmoid(OpContext &op, Value x, double alpha, double beta) {
  Value y = mul(op.builder(), op.loc(), x, scalarLike(op.builder(), op.loc(), x, alpha));
  y = binary<tosa::AddOp>(op.builder(), op.loc(), y, scalarLike(op.builder(), op.loc(), x, beta));
  return clamp(op.builder(), op.loc(), y, 0.0, 1.0);
}

llvm::Error convertHardSigmoid(OpContext &op) {
  op.setValue(
      0, hardSigmoid(op, op.value(0), op.attrFloat("alpha", 0.2f), op.attrFloat("beta", 0.5f)));
  return llvm::Error::success();
}

llvm::Error convertHardSwish(OpContext &op) {
  Value x = op.value(0);
  op.setValue(0, mul(op.builder(), op.loc(), x, hardSigmoid(op, x, 1.0 / 6.0, 0.5)));
  return llvm::Error::success();
}

// Softmax over one axis: exp(x - max) / sum(exp(x - max)); `log` gives
// LogSoftmax: (x - max) - log(sum).
Value softmaxAlong(OpContext &op, Value x, int64_t axis, bool log) {
  Value shifted = binary<tosa::SubOp>(op.builder(), op.loc(), x,
                                      reduce<tosa::ReduceMaxOp>(op.builder(), op.loc(), x, axis));
  Value e = unary<tosa::ExpOp>(op.builder(), op.loc(), shifted);
  Value sum = reduce<tosa::ReduceSumOp>(op.builder(), op.loc(), e, axis);
  if (log)
    return binary<tosa::SubOp>(op.builder(), op.loc(), shifted,
                               unary<tosa::LogOp>(op.builder(), op.loc(), sum));
  return mul(op.builder(), op.loc(), e, unary<tosa::ReciprocalOp>(op.builder(), op.loc(), sum));
}

template <bool log> llvm::Error convertSoftmax(OpContext &op) {
  Value x = op.value(0);
  int64_t rank = typeOf(x).getRank();
  // Before opset 13 the input is coerced to 2-D at `axis` (default 1) and
  // normalised over the whole trailing block; since 13 over `axis` alone.
  bool coerce = op.opset() < 13;
  auto axis = op.normalizeAxis(op.attrInt("axis", coerce ? 1 : -1), rank);
  if (!axis)
    return axis.takeError();
  if (!coerce || *axis == rank - 1) {
    op.setValue(0, softmaxAlong(op, x, *axis, log));
    return llvm::Error::success();
  }
  llvm::ArrayRef<int64_t> shape = typeOf(x).getShape();
  int64_t outer = numElements(shape.take_front(*axis));
  int64_t inner = numElements(shape.drop_front(*axis));
  Value flat = reshape(op.builder(), op.loc(), x, {outer, inner});
  op.setValue(0, reshape(op.builder(), op.loc(), softmaxAlong(op, flat, 1, log), shape));
  return llvm::Error::success();
}

llvm::Error convertElu(OpContext &op) {
  Value x = op.value(0);
  double alpha = op.attrFloat("alpha", 1.0f);
  Value negative =
      binary<tosa::SubOp>(op.builder(), op.loc(), unary<tosa::ExpOp>(op.builder(), op.loc(), x),
                          scalarLike(op.builder(), op.loc(), x, 1.0));
  negative = mul(op.builder(), op.loc(), negative, scalarLike(op.builder(), op.loc(), x, alpha));
  Value positive = binary<tosa::GreaterEqualOp>(op.builder(), op.loc(), x,
                                                scalarLike(op.builder(), op.loc(), x, 0.0),
                                                op.builder().getI1Type());
  op.setValue(0, select(op.builder(), op.loc(), positive, x, negative));
  return llvm::Error::success();
}

} // namespace

void registerActivationOps(OpTable &table) {
  table.add("Relu", convertRelu);
  table.add("Clip", convertClip);
  table.add("LeakyRelu", convertLeakyRelu);
  table.add("PRelu", convertPRelu);
  table.add("Sigmoid", convertSigmoid);
  table.add("Tanh", convertTanh);
  table.add("HardSigmoid", convertHardSigmoid);
  table.add("HardSwish", convertHardSwish);
  table.add("Softmax", convertSoftmax<false>);
  table.add("LogSoftmax", convertSoftmax<true>);
  table.add("Elu", convertElu);
}

} // namespace kiln::onnx_import
