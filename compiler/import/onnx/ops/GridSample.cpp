//===- GridSample.cpp - GridSample on 2-D images --------------------------===//
//
// Y[n, c, i, j] samples X[n, c] at the grid's normalised position (x, y) =
// grid[n, i, j]. As ONNX's reference (PyTorch's grid_sampler) does it:
//   1. denormalise: align_corners maps -1 and 1 to the centres of the edge
//      pixels, otherwise to the outer edges of the image;
//   2. nearest rounds half to even;
//   3. a position outside [x_min, x_max] (the pixel centres, or the image's
//      edges without align_corners) is clamped (border) or mirrored
//      (reflection);
//   4. taps: nearest 1, linear 2, cubic 4 per axis (Keys, a = -0.75), each
//      tap outside the image reads 0 (zeros), the edge (border) or its mirror
//      (reflection).
// Positions and weights are elementwise f32 ops over [N, Ho * Wo]; each pair
// of taps is one tosa.gather of the image viewed as [N, H * W, C].
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/import/onnx/ops/Sampling.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

enum class Padding { Zeros, Border, Reflection };

struct Tap {
  Value index;  // f32 integer-valued, in [0, size)
  Value weight; // f32, 0 for a zero-padded tap
};

// Keys' cubic convolution weights for the four taps around t in [0, 1).
std::array<Value, 4> cubicWeights(FloatMath &m, Value t, double a) {
  auto near = [&](Value s) { // |s| <= 1: ((a + 2) s - (a + 3)) s^2 + 1
    return m.add(m.mul(m.mul(m.add(m.mul(s, a + 2), -(a + 3)), s), s), 1.0);
  };
  auto far = [&](Value s) { // 1 < |s| < 2: ((a s - 5a) s + 8a) s - 4a
    return m.add(m.mul(m.add(m.mul(m.add(m.mul(s, a), -5 * a), s), 8 * a), s), -4 * a);
  };
  Value one = m.k(t, 1.0);
  return {far(m.add(t, 1.0)), near(t), near(m.sub(one, t)), far(m.sub(m.k(t, 2.0), t))};
}

// The taps along one axis of `size` pixels for denormalised positions `x`.
std::vector<Tap> axisTaps(FloatMath &m, Value x, int64_t size, llvm::StringRef mode,
                          Padding padding, bool alignCorners) {
  double lo = alignCorners ? 0.0 : -0.5, hi = alignCorners ? size - 1.0 : size - 0.5;
  if (mode == "nearest")
    x = m.roundEven(x);
  if (padding == Padding::Border)
    x = m.select(m.either(m.less(x, lo), m.greater(x, hi)), m.clamp(x, 0, size - 1.0), x);
  else if (padding == Padding::Reflection && hi > lo)
    x = m.reflect(x, lo, hi);

  std::vector<std::pair<Value, Value>> raw; // (index, weight)
  if (mode == "nearest") {
    raw.push_back({m.trunc(x), m.k(x, 1.0)});
  } else {
    Value x0 = m.floor(x), t = m.sub(x, x0);
    if (mode == "linear") {
      raw.push_back({x0, m.sub(m.k(t, 1.0), t)});
      raw.push_back({m.add(x0, 1.0), t});
    } else {
      std::array<Value, 4> w = cubicWeights(m, t, -0.75);
      for (int i = 0; i < 4; ++i)
        raw.push_back({m.add(x0, i - 1.0), w[i]});
    }
  }
  std::vector<Tap> taps;
  for (auto [i, w] : raw) {
    if (padding == Padding::Zeros)
      w = m.mul(w, m.mask(m.both(m.greater(i, -0.5), m.less(i, size - 0.5))));
    else if (padding == Padding::Reflection && hi > lo)
      i = m.trunc(m.reflect(i, lo, hi));
    taps.push_back({m.clamp(i, 0, size - 1.0), w});
  }
  return taps;
}

llvm::Error convertGridSample(OpContext &op) {
  if (op.rank(0) != 4)
    return op.fail("only 2-D (NCHW) inputs are supported (input rank " + llvm::Twine(op.rank(0)) +
                   ")");
  llvm::ArrayRef<int64_t> xs = op.shape(0), gs = op.shape(1);
  if (gs.size() != 4 || gs[0] != xs[0] || gs[3] != 2)
    return op.fail("the grid must be [N, H_out, W_out, 2] with the input's N, not " +
                   shapeString(gs));
  if (!op.elementType(0).isF32() || !op.elementType(1).isF32())
    return op.fail("only float32 inputs and grids are supported");
  std::string mode = op.attrString("mode", op.opset() < 20 ? "bilinear" : "linear");
  if (mode == "bilinear")
    mode = "linear";
  else if (mode == "bicubic")
    mode = "cubic";
  if (mode != "linear" && mode != "nearest" && mode != "cubic")
    return op.fail("mode '" + mode + "' is not supported");
  std::string pad = op.attrString("padding_mode", "zeros");
  Padding padding = pad == "zeros"    ? Padding::Zeros
                    : pad == "border" ? Padding::Border
                                      : Padding::Reflection;
  if (pad != "zeros" && pad != "border" && pad != "reflection")
    return op.fail("padding_mode '" + pad + "' is not supported");
  bool alignCorners = op.attrInt("align_corners", 0) != 0;
  int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3], ho = gs[1], wo = gs[2];
  if (h * w >= (int64_t(1) << 24) || ho * wo >= (int64_t(1) << 24))
    return op.fail("images of 2^24 pixels or more are not supported (f32 indices)");

  auto &b = op.builder();
  Location loc = op.loc();
  FloatMath m{b, loc};
  Value grid = op.value(1);
  auto coordinate = [&](int k, int64_t size) { // denormalised, [N, Ho * Wo]
    Value g = reshape(b, loc, slice(b, loc, grid, {0, 0, 0, k}, {n, ho, wo, 1}), {n, ho * wo});
    return alignCorners ? m.mul(m.add(g, 1.0), (size - 1) / 2.0)
                        : m.add(m.mul(g, size / 2.0), (size - 1) / 2.0);
  };
  std::vector<Tap> xTaps = axisTaps(m, coordinate(0, w), w, mode, padding, alignCorners);
  std::vector<Tap> yTaps = axisTaps(m, coordinate(1, h), h, mode, padding, alignCorners);

  Value image = reshape(b, loc, toNHWC(b, loc, op.value(0)), {n, h * w, c});
  Value sum;
  for (const Tap &ty : yTaps)
    for (const Tap &tx : xTaps) {
      Value rows = m.add(m.mul(ty.index, double(w)), tx.index);
      Value weight = m.mul(ty.weight, tx.weight); // [1, 1] for nearest's constant 1
      bool scalar = typeOf(weight).getNumElements() == 1;
      weight = reshape(b, loc, weight, {scalar ? 1 : n, scalar ? 1 : ho * wo, 1});
      Value term = m.mul(gatherRows(b, loc, image, rows), weight);
      sum = sum ? m.add(sum, term) : term;
    }
  op.setValue(0, toNCHW(b, loc, reshape(b, loc, sum, {n, ho, wo, c})));
  return llvm::Error::success();
}

} // namespace

void registerGridSampleOps(OpTable &table) { table.add("GridSample", convertGridSample); }

} // namespace kiln::onnx_import
