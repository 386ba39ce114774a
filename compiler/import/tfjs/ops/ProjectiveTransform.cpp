//===- ProjectiveTransform.cpp - ImageProjectiveTransformV3 ---------------===//
//
// tf.image.transform: output pixel (x, y) samples the image at
// ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1,
// by nearest or bilinear interpolation, a coordinate outside the image
// first mapped by the fill mode (constant, reflect, wrap, nearest) and a
// tap still outside reading fill_value. With the transforms known at
// import (the common case: a fixed augmentation or alignment matrix),
// every tap's pixel and weight are known, so the op is one tosa.gather per
// tap (1 or 4) of the image as [1, B * H * W, C], weighted and summed with
// the fill value's weight, as CropAndResize does (ops/CropAndResize.cpp).
// Coordinates are computed in double as TF.js's cpu kernel computes them
// (Transform.js), the weights then rounded to float32.
//
// Transforms computed at run time take the same arithmetic in TOSA, in
// float32 where TF.js computes in double, with x * (1/k) for TF.js's x / k
// (TOSA has no float division): a coordinate within
// rounding of a pixel edge (nearest) or of a reflect/wrap fold may land on
// the other side. The taps' pixels and weights are then tensors: 1 or 4
// gathers at computed indices, a tap outside the image (or a projection
// k = 0, TF.js's "infinite coordinates") weighted into the fill value.
//
// TF.js computes only the first image of a batch (its kernel returns
// inside the batch loop) and leaves the others fill_value; Kiln computes
// every image, as TF does.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <cmath>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

double mapReflect(double c, int64_t len) {
  if (len <= 1)
    return 0;
  double sz2 = 2.0 * len;
  if (c < 0) {
    if (c < sz2)
      c = sz2 * std::trunc(-c / sz2) + c;
    c = c < -len ? c + sz2 : -c - 1;
  } else if (c > len - 1) {
    c -= sz2 * std::trunc(c / sz2);
    if (c >= len)
      c = sz2 - c - 1;
  }
  return std::clamp(c, 0.0, double(len - 1));
}

double mapWrap(double c, int64_t len) {
  if (len <= 1)
    return 0;
  double sz = len - 1;
  if (c < 0)
    c += len * (std::trunc(-c / sz) + 1);
  else if (c > len - 1)
    c -= len * std::trunc(c / sz);
  return std::clamp(c, 0.0, double(len - 1));
}

double mapCoord(double c, int64_t len, llvm::StringRef mode) {
  if (mode == "reflect")
    return mapReflect(c, len);
  if (mode == "wrap")
    return mapWrap(c, len);
  if (mode == "nearest")
    return std::clamp(c, 0.0, double(len - 1));
  return c; // constant
}

// JavaScript's Math.round: halves toward +infinity.
double jsRound(double v) { return std::floor(v + 0.5); }

/// The sampling parameters every form shares.
struct Sampling {
  int64_t oh = 0, ow = 0;
  std::string interpolation, mode;
};

// A coordinate mapped by the fill mode in TOSA, as mapCoord does on the
// host. The truncations in TF.js's reflect and wrap divide positive values
// there, so they are floors.
Value mapCoordTensor(OpBuilder &b, Location loc, Value c, int64_t len, llvm::StringRef mode) {
  auto k = [&](double v) { return scalarLike(b, loc, c, v); };
  Type i1 = b.getI1Type();
  auto lt = [&](Value x, Value y) { return binary<tosa::GreaterOp>(b, loc, y, x, i1); };
  auto floorOf = [&](Value x) { return unary<tosa::FloorOp>(b, loc, x); };
  if (mode == "constant")
    return c;
  if (len <= 1 && mode != "nearest")
    return k(0);
  if (mode == "reflect") {
    double sz2 = 2.0 * len;
    Value neg =
        binary<tosa::AddOp>(b, loc, mul(b, loc, k(sz2), floorOf(mul(b, loc, c, k(-1 / sz2)))), c);
    neg = select(b, loc, lt(neg, k(-double(len))), binary<tosa::AddOp>(b, loc, neg, k(sz2)),
                 binary<tosa::SubOp>(b, loc, k(-1), neg));
    Value pos =
        binary<tosa::SubOp>(b, loc, c, mul(b, loc, k(sz2), floorOf(mul(b, loc, c, k(1 / sz2)))));
    pos =
        select(b, loc, lt(pos, k(double(len))), pos, binary<tosa::SubOp>(b, loc, k(sz2 - 1), pos));
    c = select(b, loc, lt(c, k(0)), neg, select(b, loc, lt(k(double(len - 1)), c), pos, c));
  } else if (mode == "wrap") {
    double sz = len - 1;
    Value neg = binary<tosa::AddOp>(
        b, loc, c,
        mul(b, loc, k(double(len)),
            binary<tosa::AddOp>(b, loc, floorOf(mul(b, loc, c, k(-1 / sz))), k(1))));
    Value pos = binary<tosa::SubOp>(
        b, loc, c, mul(b, loc, k(double(len)), floorOf(mul(b, loc, c, k(1 / sz)))));
    c = select(b, loc, lt(c, k(0)), neg, select(b, loc, lt(k(sz), c), pos, c));
  }
  return clamp(b, loc, c, 0, double(len - 1));
}

// The transforms as a run-time tensor: see the file comment. Per-pixel
// values are [T, P, 1] (T transform rows, P = OH * OW output pixels); one
// matmul gives each pixel's numerators and projection k, [x, y, 1] times
// the transform as a 3x3 matrix. Kiln's kernels fuse chains of single-use
// elementwise ops, so fewer shared intermediates mean fewer kernels.
llvm::Error runtimeTransform(OpContext &node, const Sampling &s) {
  llvm::ArrayRef<int64_t> in = node.shape(0), ts = node.shape(1);
  int64_t batch = in[0], h = in[1], w = in[2], c = in[3], p = s.oh * s.ow;
  if (ts.size() != 2 || ts[1] != 8 || (ts[0] != 1 && ts[0] != batch))
    return node.fail("the transforms must be [1, 8] or [" + llvm::Twine(batch) + ", 8], not " +
                     shapeString(ts));
  if (node.dtype(1) != DType::F32)
    return node.fail("the transforms must be float32");
  int64_t rows = ts[0];
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Type f32 = b.getF32Type(), i1 = b.getI1Type();
  std::vector<float> grid;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t y = 0; y < s.oh; ++y)
      for (int64_t x = 0; x < s.ow; ++x)
        grid.insert(grid.end(), {float(x), float(y), 1.f});
  std::string name = node.node().name;
  Value xy1 = node.graph().createConstant(Literal::fromFloats({rows, p, 3}, grid), name + "_grid");
  // [a0 a1 a2; a3 a4 a5; a6 a7 1], transposed: [T, 3, 3].
  Value matrix = concat(b, loc, {node.value(1), splatConstant(b, loc, f32, 1, {rows, 1})}, 1);
  matrix = transpose(b, loc, reshape(b, loc, matrix, {rows, 3, 3}), {0, 2, 1});
  Value uvk = node.create<tosa::MatMulOp>(tensorOf({rows, p, 3}, f32), xy1, matrix);
  auto column = [&](int64_t i) { return slice(b, loc, uvk, {0, 0, i}, {rows, p, 1}); };
  auto k = [&](Value like, double v) { return scalarLike(b, loc, like, v); };
  Value proj = column(2);
  Value finite =
      unary<tosa::LogicalNotOp>(b, loc, binary<tosa::EqualOp>(b, loc, proj, k(proj, 0), i1));
  Value inverse = unary<tosa::ReciprocalOp>(b, loc, proj);
  Value ix = mapCoordTensor(b, loc, mul(b, loc, column(0), inverse), w, s.mode);
  Value iy = mapCoordTensor(b, loc, mul(b, loc, column(1), inverse), h, s.mode);
  // One gather per tap over the batch: image [B, H * W, C], indices [B, P].
  Value image = reshape(b, loc, node.value(0), {batch, h * w, c});
  Value zero = k(ix, 0);
  Value ones = splatConstant(b, loc, f32, 1, {batch, p, 1});
  auto inside = [&](Value v, int64_t len) {
    return binary<tosa::LogicalAndOp>(b, loc, binary<tosa::GreaterEqualOp>(b, loc, v, k(v, 0), i1),
                                      binary<tosa::GreaterOp>(b, loc, k(v, double(len)), v, i1),
                                      i1);
  };
  // A tap outside the image reads the fill value instead. A projection of
  // 0 makes the coordinates infinite or NaN: every tap is outside (the
  // compares are false), and the result is replaced by fill_value below.
  Value out, fill;
  auto tap = [&](Value py, Value inY, Value px, Value inX, Value weight) {
    Value valid = binary<tosa::LogicalAndOp>(b, loc, inY, inX, i1);
    // py * W + px, exact in float32 for images under 2^24 pixels.
    Value flat = binary<tosa::AddOp>(b, loc, mul(b, loc, py, k(py, double(w))), px);
    flat = mul(b, loc, select(b, loc, valid, flat, zero), ones); // [B, P, 1]
    Value idx = castElements(b, loc, reshape(b, loc, flat, {batch, p}), b.getI32Type());
    Value g = node.create<tosa::GatherOp>(tensorOf({batch, p, c}, f32), image, idx);
    g = mul(b, loc, g, select(b, loc, valid, weight, zero));
    out = out ? binary<tosa::AddOp>(b, loc, out, g) : g;
    Value lost = select(b, loc, valid, zero, weight);
    fill = fill ? binary<tosa::AddOp>(b, loc, fill, lost) : lost;
  };
  auto floorOf = [&](Value v) { return unary<tosa::FloorOp>(b, loc, v); };
  if (s.interpolation == "nearest") {
    // JavaScript's Math.round: floor(v + 0.5).
    Value py = floorOf(binary<tosa::AddOp>(b, loc, iy, k(iy, 0.5)));
    Value px = floorOf(binary<tosa::AddOp>(b, loc, ix, k(ix, 0.5)));
    tap(py, inside(py, h), px, inside(px, w), k(ix, 1));
  } else {
    Value y0 = floorOf(iy), x0 = floorOf(ix);
    Value y1 = binary<tosa::AddOp>(b, loc, y0, k(y0, 1));
    Value x1 = binary<tosa::AddOp>(b, loc, x0, k(x0, 1));
    Value iny0 = inside(y0, h), iny1 = inside(y1, h), inx0 = inside(x0, w), inx1 = inside(x1, w);
    Value wy0 = binary<tosa::SubOp>(b, loc, y1, iy), wy1 = binary<tosa::SubOp>(b, loc, iy, y0);
    Value wx0 = binary<tosa::SubOp>(b, loc, x1, ix), wx1 = binary<tosa::SubOp>(b, loc, ix, x0);
    tap(y0, iny0, x0, inx0, mul(b, loc, wy0, wx0));
    tap(y0, iny0, x1, inx1, mul(b, loc, wy0, wx1));
    tap(y1, iny1, x0, inx0, mul(b, loc, wy1, wx0));
    tap(y1, iny1, x1, inx1, mul(b, loc, wy1, wx1));
  }
  Value value = reshape(b, loc, node.value(3), {1, 1, 1});
  out = binary<tosa::AddOp>(b, loc, out, mul(b, loc, mul(b, loc, fill, ones), value));
  out = select(b, loc, finite, out, value);
  node.setValue(0, reshape(b, loc, out, {batch, s.oh, s.ow, c}));
  return llvm::Error::success();
}

llvm::Error convertTransform(OpContext &node) {
  if (node.rank(0) != 4 || node.dtype(0) != DType::F32)
    return node.fail("the images must be float32 NHWC, not " + shapeString(node.shape(0)));
  llvm::ArrayRef<int64_t> in = node.shape(0);
  int64_t batch = in[0], h = in[1], w = in[2], c = in[3];
  auto size = node.constInts(2, "output_shape");
  if (!size)
    return size.takeError();
  if (size->size() != 2 || (*size)[0] < 1 || (*size)[1] < 1)
    return node.fail("output_shape must be two positive sizes");
  int64_t oh = (*size)[0], ow = (*size)[1];
  std::string interpolation = llvm::StringRef(node.attrs().getString("interpolation", "")).lower();
  std::string mode = llvm::StringRef(node.attrs().getString("fill_mode", "CONSTANT")).lower();
  if (interpolation != "nearest" && interpolation != "bilinear")
    return node.fail("interpolation '" + interpolation + "' is not NEAREST or BILINEAR");
  if (mode != "constant" && mode != "reflect" && mode != "wrap" && mode != "nearest")
    return node.fail("fill_mode '" + mode + "' is not CONSTANT, REFLECT, WRAP or NEAREST");
  if (numElements(node.shape(3)) != 1 || node.dtype(3) != DType::F32)
    return node.fail("fill_value must be one float32 value");
  const Literal *t = node.literal(1);
  if (!t)
    return runtimeTransform(node, Sampling{oh, ow, interpolation, mode});
  if (t->rank() != 2 || t->shape()[1] != 8 || (t->shape()[0] != 1 && t->shape()[0] != batch))
    return node.fail("the transforms must be [1, 8] or [" + llvm::Twine(batch) + ", 8], not " +
                     shapeString(t->shape()));

  // Per tap: the flat pixel (b * H + y) * W + x and its weight; and the
  // fill value's weight per output pixel.
  int taps = interpolation == "nearest" ? 1 : 4;
  int64_t count = batch * oh * ow;
  std::vector<std::vector<int64_t>> index(taps, std::vector<int64_t>(count, 0));
  std::vector<std::vector<float>> weight(taps, std::vector<float>(count, 0.f));
  std::vector<float> fill(count, 0.f);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t row = t->shape()[0] == 1 ? 0 : b;
    double a[8];
    for (int k = 0; k < 8; ++k)
      a[k] = t->at(row * 8 + k);
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x) {
        int64_t o = (b * oh + y) * ow + x;
        double k = a[6] * x + a[7] * y + 1;
        if (k == 0) {
          fill[o] = 1;
          continue;
        }
        double ix = mapCoord((a[0] * x + a[1] * y + a[2]) / k, w, mode);
        double iy = mapCoord((a[3] * x + a[4] * y + a[5]) / k, h, mode);
        auto tap = [&](int n, double py, double px, double wt) {
          if (py >= 0 && py < h && px >= 0 && px < w) {
            index[n][o] = (b * h + int64_t(py)) * w + int64_t(px);
            weight[n][o] = float(wt);
          } else {
            fill[o] += float(wt);
          }
        };
        if (taps == 1) {
          tap(0, jsRound(iy), jsRound(ix), 1.0);
          continue;
        }
        double y0 = std::floor(iy), x0 = std::floor(ix);
        tap(0, y0, x0, (y0 + 1 - iy) * (x0 + 1 - ix));
        tap(1, y0, x0 + 1, (y0 + 1 - iy) * (ix - x0));
        tap(2, y0 + 1, x0, (iy - y0) * (x0 + 1 - ix));
        tap(3, y0 + 1, x0 + 1, (iy - y0) * (ix - x0));
      }
  }
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value image = reshape(b, loc, node.value(0), {1, batch * h * w, c});
  Value out;
  for (int n = 0; n < taps; ++n) {
    Value idx = i32Constant(node, index[n], {1, count});
    Value g = node.create<tosa::GatherOp>(tensorOf({1, count, c}, b.getF32Type()), image, idx);
    Value wt = node.graph().createConstant(Literal::fromFloats({1, count, 1}, weight[n]),
                                           node.node().name + "_weights");
    g = mul(b, loc, g, wt);
    out = out ? binary<tosa::AddOp>(b, loc, out, g) : g;
  }
  if (llvm::any_of(fill, [](float f) { return f != 0; })) {
    Value wt = node.graph().createConstant(Literal::fromFloats({1, count, 1}, fill),
                                           node.node().name + "_fill");
    Value value = reshape(b, loc, node.value(3), {1, 1, 1});
    out = binary<tosa::AddOp>(b, loc, out, mul(b, loc, wt, value));
  }
  node.setValue(0, reshape(b, loc, out, {batch, oh, ow, c}));
  return llvm::Error::success();
}

} // namespace

void registerProjectiveTransformOps(OpTable &table) {
  table.add("ImageProjectiveTransformV3", convertTransform, 4, 4);
}

} // namespace kiln::tfjs_import
