//===- RoiAlign.cpp - RoiAlign with a fixed sampling grid -----------------===//
//
// Y[r, c, i, j] averages (or maxes) sampling_ratio^2 bilinear samples of
// X[batch_indices[r], c] inside bin (i, j) of region r. The regions arrive
// at run time, so sample positions are elementwise f32 ops over
// [R, out * ratio] per axis and the four neighbours of every sample are
// tosa.gathers of X viewed as [1, N * H * W, C], as ONNX Runtime samples:
// a sample more than one pixel outside reads 0, one just outside reads the
// edge. sampling_ratio = 0 (adaptive: a count per region computed from the
// data) would give data-dependent loop bounds and is refused.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/import/onnx/ops/Sampling.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

struct AxisSamples {
  Value low, high;   // f32 row numbers in [0, size), [R, out * ratio]
  Value wLow, wHigh; // weights, 0 for samples past the border
};

// Sample positions along one axis: start + bin * (i + (s + 1/2) / ratio).
AxisSamples axisSamples(FloatMath &m, OpBuilder &b, Location loc, Value start, Value end,
                        int64_t out, int64_t ratio, int64_t size, bool aligned) {
  Value length = m.sub(end, start); // [R, 1]
  if (!aligned)
    length = m.max(length, m.k(length, 1.0));
  Value bin = m.mul(length, 1.0 / out);
  std::vector<double> steps;
  for (int64_t i = 0; i < out; ++i)
    for (int64_t s = 0; s < ratio; ++s)
      steps.push_back(i + (s + 0.5) / ratio);
  auto type = tensorOf({1, out * ratio}, b.getF32Type());
  llvm::SmallVector<float> fsteps(steps.begin(), steps.end());
  Value offsets = b.create<tosa::ConstOp>(
                       loc, type, DenseElementsAttr::get(type, llvm::ArrayRef<float>(fsteps)))
                      .getResult();
  Value y = m.add(start, m.mul(bin, offsets)); // [R, out * ratio]
  Value outside = m.either(m.less(y, -1.0), m.greater(y, double(size)));
  y = m.max(y, m.k(y, 0.0));
  Value low = m.floor(y);
  Value atEdge = m.greater(low, size - 1.5); // low >= size - 1
  low = m.clamp(low, 0, size - 1.0);
  Value high = m.select(atEdge, low, m.add(low, 1.0));
  y = m.select(atEdge, low, y);
  Value frac = m.sub(y, low);
  Value keep = m.sub(m.k(frac, 1.0), m.mask(outside));
  return {low, high, m.mul(m.sub(m.k(frac, 1.0), frac), keep), m.mul(frac, keep)};
}

llvm::Error convertRoiAlign(OpContext &op) {
  llvm::ArrayRef<int64_t> xs = op.shape(0), rs = op.shape(1);
  if (xs.size() != 4)
    return op.fail("X must be [N, C, H, W]");
  if (rs.size() != 2 || rs[1] != 4 || op.rank(2) != 1 || op.shape(2)[0] != rs[0])
    return op.fail("rois must be [R, 4] and batch_indices [R]");
  if (!op.elementType(0).isF32() || !op.elementType(1).isF32())
    return op.fail("only float32 X and rois are supported");
  int64_t ratio = op.attrInt("sampling_ratio", 0);
  if (ratio <= 0)
    return op.fail("sampling_ratio = 0 (adaptive, data-dependent sample counts) is not supported");
  int64_t oh = op.attrInt("output_height", 1), ow = op.attrInt("output_width", 1);
  if (oh < 1 || ow < 1 || ratio > 64)
    return op.fail("output sizes must be positive and sampling_ratio at most 64");
  std::string mode = op.attrString("mode", "avg");
  if (mode != "avg" && mode != "max")
    return op.fail("mode '" + mode + "' is not supported");
  bool aligned = op.opset() >= 16 &&
                 op.attrString("coordinate_transformation_mode", "half_pixel") == "half_pixel";
  double scale = op.attrFloat("spatial_scale", 1.0f);
  int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3], r = rs[0];
  if (n * h * w >= (int64_t(1) << 24))
    return op.fail("inputs of 2^24 pixels or more are not supported (f32 indices)");

  auto &b = op.builder();
  Location loc = op.loc();
  FloatMath m{b, loc};
  Value rois = op.value(1);
  auto corner = [&](int k) { // [R, 1], in pixels
    Value v = slice(b, loc, rois, {0, k}, {r, 1});
    return m.add(m.mul(v, scale), aligned ? -0.5 : 0.0);
  };
  AxisSamples ys = axisSamples(m, b, loc, corner(1), corner(3), oh, ratio, h, aligned);
  AxisSamples xs2 = axisSamples(m, b, loc, corner(0), corner(2), ow, ratio, w, aligned);
  Value batch = m.mul(castElements(b, loc, reshape(b, loc, op.value(2), {r, 1, 1}), b.getF32Type()),
                      double(h * w));
  // [R, P, 1] row offsets and [R, 1, Q] columns -> [R, P, Q] samples.
  auto col = [&](Value v) { return reshape(b, loc, v, {r, 1, ow * ratio}); };
  auto row = [&](Value v) { return reshape(b, loc, v, {r, oh * ratio, 1}); };
  Value image = reshape(b, loc, transpose(b, loc, op.value(0), {0, 2, 3, 1}), {1, n * h * w, c});
  int64_t samples = oh * ratio * ow * ratio;
  std::pair<Value, Value> yTaps[] = {{ys.low, ys.wLow}, {ys.high, ys.wHigh}};
  std::pair<Value, Value> xTaps[] = {{xs2.low, xs2.wLow}, {xs2.high, xs2.wHigh}};
  Value sampleSum;
  for (auto [yi, yw] : yTaps)
    for (auto [xi, xw] : xTaps) {
      Value rowsIdx = m.add(m.add(batch, m.mul(row(yi), double(w))), col(xi)); // [R, P, Q]
      Value got = gatherRows(b, loc, image, reshape(b, loc, rowsIdx, {1, r * samples}));
      Value weight = reshape(b, loc, m.mul(row(yw), col(xw)), {1, r * samples, 1});
      Value term = m.mul(got, weight);
      sampleSum =
          sampleSum ? (mode == "max" ? m.max(sampleSum, term) : m.add(sampleSum, term)) : term;
    }
  // [1, R * P * Q, C] -> [R, OH, ratio, OW, ratio, C], reduced over the samples.
  Value s = reshape(b, loc, sampleSum, {r, oh, ratio, ow, ratio, c});
  if (mode == "max") {
    s = reduce<tosa::ReduceMaxOp>(b, loc, reduce<tosa::ReduceMaxOp>(b, loc, s, 4), 2);
  } else {
    s = reduce<tosa::ReduceSumOp>(b, loc, reduce<tosa::ReduceSumOp>(b, loc, s, 4), 2);
    s = m.mul(s, 1.0 / (ratio * ratio));
  }
  s = reshape(b, loc, s, {r, oh, ow, c});
  op.setValue(0, toNCHW(b, loc, s));
  return llvm::Error::success();
}

} // namespace

void registerRoiAlignOps(OpTable &table) { table.add("RoiAlign", convertRoiAlign); }

} // namespace kiln::onnx_import
