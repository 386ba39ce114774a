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
// InstanceNormalization is the same over the spatial axes (2 to the last)
// with a per-channel scale and bias; MeanVarianceNormalization over its
// `axes` (default N, H, W) as ONNX's function body defines it:
//   y = (x - mean) / (sqrt(mean(x^2) - mean^2) + 1e-9).
// LRN sums x^2 over a window of `size` channels (zero padded, the odd
// channel after): y = x / (bias + alpha / size * sum)^beta.
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

// The mean of `v` over `axes` (kept with size 1).
Value meanOver(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> axes) {
  int64_t count = 1;
  for (int64_t d : axes) {
    count *= typeOf(v).getDimSize(d);
    v = reduce<tosa::ReduceSumOp>(b, loc, v, d);
  }
  return mul(b, loc, v, scalarLike(b, loc, v, 1.0 / count));
}

// InstanceNormalization and LRN take a float [N, C, D1, ...] tensor.
llvm::Error checkFloatWithChannels(OpContext &op) {
  if (!isa<FloatType>(op.elementType(0)))
    return op.fail(op.opType() + " is only supported on floating-point tensors");
  if (op.rank(0) < 3)
    return op.fail("input must be [N, C, D1, ...] (rank 3 or more), not rank " +
                   llvm::Twine(op.rank(0)));
  return llvm::Error::success();
}

llvm::Error convertInstanceNormalization(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  Value x = op.value(0);
  int64_t rank = op.rank(0);
  if (auto err = checkFloatWithChannels(op))
    return err;
  int64_t channels = op.shape(0)[1];
  for (int i = 1; i <= 2; ++i)
    if (op.rank(i) != 1 || op.shape(i)[0] != channels)
      return op.fail("scale and B must have shape [" + llvm::Twine(channels) + "]");
  double epsilon = op.attrFloat("epsilon", 1e-5f);
  llvm::SmallVector<int64_t> spatial, channelShape(rank - 1, 1);
  for (int64_t d = 2; d < rank; ++d)
    spatial.push_back(d);
  channelShape[0] = channels;
  Value centered = binary<tosa::SubOp>(b, loc, x, meanOver(b, loc, x, spatial));
  Value variance = meanOver(b, loc, mul(b, loc, centered, centered), spatial);
  Value invStd = unary<tosa::RsqrtOp>(
      b, loc, binary<tosa::AddOp>(b, loc, variance, scalarLike(b, loc, variance, epsilon)));
  Value y = mul(b, loc, mul(b, loc, centered, invStd), reshape(b, loc, op.value(1), channelShape));
  op.setValue(0, binary<tosa::AddOp>(b, loc, y, reshape(b, loc, op.value(2), channelShape)));
  return llvm::Error::success();
}

llvm::Error convertMeanVarianceNormalization(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  Value x = op.value(0);
  int64_t rank = op.rank(0);
  if (!isa<FloatType>(op.elementType(0)))
    return op.fail("MeanVarianceNormalization is only supported on floating-point tensors");
  std::vector<int64_t> axes =
      op.hasAttr("axes") ? op.attrInts("axes") : std::vector<int64_t>{0, 2, 3};
  llvm::SmallVector<int64_t> normalized;
  for (int64_t a : axes) {
    auto axis = op.normalizeAxis(a, rank);
    if (!axis)
      return axis.takeError();
    if (llvm::is_contained(normalized, *axis))
      return op.fail("axes name dimension " + llvm::Twine(*axis) + " twice");
    normalized.push_back(*axis);
  }
  Value mu = meanOver(b, loc, x, normalized);
  Value variance = binary<tosa::SubOp>(b, loc, meanOver(b, loc, mul(b, loc, x, x), normalized),
                                       mul(b, loc, mu, mu));
  // sqrt(v) as v * rsqrt(v) would give NaN at 0; pow(v, 0.5) does not.
  Value std = binary<tosa::PowOp>(b, loc, clamp(b, loc, variance, 0.0, INFINITY),
                                  scalarLike(b, loc, variance, 0.5));
  Value denom = binary<tosa::AddOp>(b, loc, std, scalarLike(b, loc, std, 1e-9));
  op.setValue(
      0, mul(b, loc, binary<tosa::SubOp>(b, loc, x, mu), unary<tosa::ReciprocalOp>(b, loc, denom)));
  return llvm::Error::success();
}

llvm::Error convertLRN(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  Value x = op.value(0);
  int64_t rank = op.rank(0);
  if (auto err = checkFloatWithChannels(op))
    return err;
  int64_t size = op.attrInt("size", 0);
  if (size < 1)
    return op.fail("size must be a positive integer (it is required)");
  double alpha = op.attrFloat("alpha", 1e-4f), beta = op.attrFloat("beta", 0.75f);
  double bias = op.attrFloat("bias", 1.0f);
  int64_t channels = op.shape(0)[1];
  Value squares = mul(b, loc, x, x);
  llvm::SmallVector<int64_t> lowHigh(2 * rank, 0);
  lowHigh[2] = (size - 1) / 2;
  lowHigh[3] = size - 1 - lowHigh[2];
  Value padded = pad(b, loc, squares, lowHigh, 0.0);
  llvm::SmallVector<int64_t> start(rank, 0), sizes(op.shape(0));
  Value sum;
  for (int64_t k = 0; k < size; ++k) {
    start[1] = k;
    sizes[1] = channels;
    Value window = slice(b, loc, padded, start, sizes);
    sum = sum ? binary<tosa::AddOp>(b, loc, sum, window) : window;
  }
  Value base = binary<tosa::AddOp>(b, loc, mul(b, loc, sum, scalarLike(b, loc, sum, alpha / size)),
                                   scalarLike(b, loc, sum, bias));
  Value scale = binary<tosa::PowOp>(b, loc, base, scalarLike(b, loc, base, -beta));
  op.setValue(0, mul(b, loc, x, scale));
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
  table.add("InstanceNormalization", convertInstanceNormalization);
  table.add("MeanVarianceNormalization", convertMeanVarianceNormalization);
  table.add("LRN", convertLRN);
}

} // namespace kiln::onnx_import
