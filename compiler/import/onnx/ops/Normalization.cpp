//===- Normalization.cpp - BatchNormalization (inference), LayerNorm ------===//
//
// Inference-mode batch norm is a per-channel affine map:
//   y = x * k + (bias - mean * k),  k = scale / sqrt(var + epsilon).
// With constant statistics, k and the offset are folded here (in double,
// rounded once to the tensor's type), leaving one mul and one add that the
// graph phase folds into the preceding convolution.
//
// LayerNormalization normalizes over the axes from `axis` to the last:
//   y = (x - mean) * rsqrt(mean((x - mean)^2) + epsilon) * scale + bias,
// with the mean and 1/stddev as optional outputs (reduced axes kept as 1).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <cmath>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

llvm::Error convertBatchNormalization(OpContext &op) {
  if (op.attrInt("training_mode", 0) != 0)
    return op.fail("training_mode = 1 is not supported (Kiln compiles inference)");
  if (op.opset() < 9 && op.attrInt("spatial", 1) != 1)
    return op.fail("spatial = 0 is not supported");
  for (int i = 1; i < op.numOutputs(); ++i)
    if (op.hasOutput(i))
      return op.fail("the running-statistics outputs are not supported (inference only)");
  Value x = op.value(0);
  int64_t rank = typeOf(x).getRank();
  if (rank < 2)
    return op.fail("input must have a channel dimension");
  int64_t channels = typeOf(x).getDimSize(1);
  for (int i = 1; i <= 4; ++i)
    if (op.rank(i) != 1 || op.shape(i)[0] != channels)
      return op.fail("scale, bias, mean and var must have shape [" + llvm::Twine(channels) + "]");
  double epsilon = op.attrFloat("epsilon", 1e-5f);

  // Per-channel tensors broadcast as [C, 1, ...] against [N, C, ...].
  llvm::SmallVector<int64_t> channelShape(rank - 1, 1);
  channelShape[0] = channels;
  const Literal *scale = op.literal(1), *bias = op.literal(2);
  const Literal *mean = op.literal(3), *var = op.literal(4);
  if (scale && bias && mean && var) {
    std::vector<double> k(channels), offset(channels);
    for (int64_t c = 0; c < channels; ++c) {
      k[c] = scale->doubleAt(c) / std::sqrt(var->doubleAt(c) + epsilon);
      offset[c] = bias->doubleAt(c) - mean->doubleAt(c) * k[c];
    }
    std::string name = op.name().str();
    int32_t dtype = dtypeFor(typeOf(x).getElementType());
    Value kv =
        op.constant(Literal::fromDoubles(dtype, {channelShape.begin(), channelShape.end()}, k),
                    name + "_scale");
    Value ov =
        op.constant(Literal::fromDoubles(dtype, {channelShape.begin(), channelShape.end()}, offset),
                    name + "_offset");
    op.setValue(
        0, binary<tosa::AddOp>(op.builder(), op.loc(), mul(op.builder(), op.loc(), x, kv), ov));
    return llvm::Error::success();
  }
  // Statistics computed at run time: the same formula in TOSA ops.
  auto channel = [&](int i) { return reshape(op.builder(), op.loc(), op.value(i), channelShape); };
  Value variance = channel(4);
  Value varEps = binary<tosa::AddOp>(op.builder(), op.loc(), variance,
                                     scalarLike(op.builder(), op.loc(), variance, epsilon));
  Value k =
      mul(op.builder(), op.loc(), channel(1), unary<tosa::RsqrtOp>(op.builder(), op.loc(), varEps));
  Value offset = binary<tosa::SubOp>(op.builder(), op.loc(), channel(2),
                                     mul(op.builder(), op.loc(), channel(3), k));
  op.setValue(
      0, binary<tosa::AddOp>(op.builder(), op.loc(), mul(op.builder(), op.loc(), x, k), offset));
  return llvm::Error::success();
}

llvm::Error convertLayerNormalization(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  Value x = op.value(0);
  int64_t rank = typeOf(x).getRank();
  if (!isa<FloatType>(typeOf(x).getElementType()))
    return op.fail("LayerNormalization is only supported on floating-point tensors");
  auto axis = op.normalizeAxis(op.attrInt("axis", -1), rank);
  if (!axis)
    return axis.takeError();
  if (op.attrInt("stash_type", 1) != 1)
    return op.fail("stash_type other than float is not supported");
  // Scale and B are broadcast to the normalized shape X.shape[axis:] (a
  // fuzzer found a bias that does not, which TOSA's add then rejected).
  llvm::ArrayRef<int64_t> normalized = op.shape(0).drop_front(*axis);
  if (llvm::Error err = op.checkBroadcastsTo(1, normalized, "Scale"))
    return err;
  if (op.hasInput(2))
    if (llvm::Error err = op.checkBroadcastsTo(2, normalized, "B"))
      return err;
  double epsilon = op.attrFloat("epsilon", 1e-5f);
  int64_t count = 1;
  for (int64_t d = *axis; d < rank; ++d)
    count *= typeOf(x).getDimSize(d);
  auto mean = [&](Value v) {
    for (int64_t d = *axis; d < rank; ++d)
      v = reduce<tosa::ReduceSumOp>(b, loc, v, d);
    return mul(b, loc, v, scalarLike(b, loc, v, 1.0 / count));
  };
  Value mu = mean(x);
  Value centered = binary<tosa::SubOp>(b, loc, x, mu);
  Value variance = mean(mul(b, loc, centered, centered));
  Value invStd = unary<tosa::RsqrtOp>(
      b, loc, binary<tosa::AddOp>(b, loc, variance, scalarLike(b, loc, variance, epsilon)));
  Value y = mul(b, loc, mul(b, loc, centered, invStd), op.value(1));
  if (op.hasInput(2))
    y = binary<tosa::AddOp>(b, loc, y, op.value(2));
  op.setValue(0, y);
  if (op.hasOutput(1))
    op.setValue(1, mu);
  if (op.hasOutput(2))
    op.setValue(2, invStd);
  return llvm::Error::success();
}

} // namespace

void registerNormalizationOps(OpTable &table) {
  table.add("BatchNormalization", convertBatchNormalization);
  table.add("LayerNormalization", convertLayerNormalization);
}

} // namespace kiln::onnx_import
