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

llvm::Error convertTransform(OpContext &node) {
  if (node.rank(0) != 4 || node.dtype(0) != DType::F32)
    return node.fail("the images must be float32 NHWC, not " + shapeString(node.shape(0)));
  const Literal *t = node.literal(1);
  if (!t)
    return node.fail("the transforms (input 1) must be known at import; Kiln computes each "
                     "tap's pixel and weight at compile time");
  llvm::ArrayRef<int64_t> in = node.shape(0);
  int64_t batch = in[0], h = in[1], w = in[2], c = in[3];
  if (t->rank() != 2 || t->shape()[1] != 8 || (t->shape()[0] != 1 && t->shape()[0] != batch))
    return node.fail("the transforms must be [1, 8] or [" + llvm::Twine(batch) + ", 8], not " +
                     shapeString(t->shape()));
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
