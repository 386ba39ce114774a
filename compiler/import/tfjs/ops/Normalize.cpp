//===- Normalize.cpp - FusedBatchNorm (V1-V3) and LRN ---------------------===//
//
// Inference-time batch normalisation over the channel dimension (the last,
// or dimension 1 of NCHW), (x - mean) * (scale / sqrt(variance + epsilon))
// + offset as TF.js orders it; and local response normalisation, x / (bias + alpha * sum)^beta with
// the sum of squares over 2r+1 neighbouring channels: a zero-padded channel
// axis read as 2r+1 slices.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Layout.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

llvm::Error convertFusedBatchNorm(OpContext &node) {
  if (node.attrs().getBool("is_training", false))
    return node.fail("is_training is set: only inference batch normalisation is supported");
  auto nchw = isNCHW(node);
  if (!nchw)
    return nchw.takeError();
  if (*nchw && node.rank(0) != 4)
    return node.fail("an NCHW input must be 4-D, not " + shapeString(node.shape(0)));
  for (int i = 0; i < 5; ++i)
    if (node.dtype(i) != DType::F32)
      return node.fail("only float32 batch normalisation is supported");
  int64_t channels = node.rank(0) ? node.shape(0)[*nchw ? 1 : node.rank(0) - 1] : 0;
  for (int i = 1; i < 5; ++i)
    if (node.rank(i) != 1 || node.shape(i)[0] != channels)
      return node.fail("input " + llvm::Twine(i) + " " + shapeString(node.shape(i)) +
                       " does not match the " + llvm::Twine(channels) + " channels of " +
                       shapeString(node.shape(0)));
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  int64_t rank = node.rank(0);
  float epsilon = node.attrs().getFloat("epsilon", 0.001f);
  Value x = node.value(0);
  // The per-channel inputs broadcast along the channel dimension: the last
  // (NHWC), or dimension 1 of NCHW as [C, 1, 1].
  auto param = [&](int i) {
    return *nchw ? reshape(b, loc, node.value(i), {1, channels, 1, 1})
                 : node.valueWithRank(i, rank);
  };
  Value variance = param(4);
  Value inverse = unary<tosa::RsqrtOp>(
      b, loc, binary<tosa::AddOp>(b, loc, variance, scalarLike(b, loc, variance, epsilon)));
  Value factor = mul(b, loc, param(1), inverse);
  Value centered = binary<tosa::SubOp>(b, loc, x, param(3));
  node.setValue(0, binary<tosa::AddOp>(b, loc, mul(b, loc, centered, factor), param(2)));
  return llvm::Error::success();
}

llvm::Error convertLRN(OpContext &node) {
  if (node.rank(0) != 4 || node.dtype(0) != DType::F32)
    return node.fail("LRN takes a 4-D float32 tensor, not " + shapeString(node.shape(0)));
  int64_t radius = node.attrs().getInt("depth_radius", 5);
  float bias = node.attrs().getFloat("bias", 1), alpha = node.attrs().getFloat("alpha", 1);
  float beta = node.attrs().getFloat("beta", 0.5);
  if (radius < 0 || radius > 64)
    return node.fail("depth_radius " + llvm::Twine(radius) + " is outside 0..64");
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value x = node.value(0);
  Value squares = mul(b, loc, x, x);
  Value padded = pad(b, loc, squares, {0, 0, 0, 0, 0, 0, radius, radius}, 0);
  std::vector<int64_t> shape(node.shape(0).begin(), node.shape(0).end());
  Value sum;
  for (int64_t k = 0; k <= 2 * radius; ++k) {
    Value s = slice(b, loc, padded, {0, 0, 0, k}, shape);
    sum = sum ? binary<tosa::AddOp>(b, loc, sum, s) : s;
  }
  Value base = binary<tosa::AddOp>(b, loc, mul(b, loc, sum, scalarLike(b, loc, sum, alpha)),
                                   scalarLike(b, loc, sum, bias));
  Value scale = binary<tosa::PowOp>(b, loc, base, scalarLike(b, loc, base, -beta));
  node.setValue(0, mul(b, loc, x, scale));
  return llvm::Error::success();
}

} // namespace

void registerNormalizeOps(OpTable &table) {
  for (const char *op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"})
    table.add(op, convertFusedBatchNorm, 5, 5);
  table.add("LRN", convertLRN, 1, 1);
}

} // namespace kiln::tfjs_import
