//===- Resize.cpp - ResizeBilinear and ResizeNearestNeighbor --------------===//
//
// tosa.resize samples output row y at input row (y * d + offset) / n, with
// scale = [n_y, d_y, n_x, d_x]; nearest rounds that half up. TF's three
// coordinate rules map onto it exactly, per dimension (in -> out):
//   default            y * in / out            n = 2 out, d = 2 in, offset = 0
//   half_pixel_centers (y + 0.5) * in / out - 0.5
//                                              n = 2 out, d = 2 in, offset = in - out
//   align_corners      y * (in - 1) / (out - 1)
//                                              n = out - 1, d = in - 1, offset = 0
// Nearest without half pixels floors instead of rounding, so its offset is
// -out (half a step back, then rounded half up). Nearest with half pixels
// floors (y + 0.5) * in / out, which is the half-pixel rule rounded: the
// bilinear offset serves. The fractions are reduced by their gcd.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <numeric>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

struct Axis {
  int64_t n, d, offset, border;
};

Axis axisParams(int64_t in, int64_t out, bool alignCorners, bool halfPixel, bool nearest) {
  Axis a;
  if (alignCorners && out > 1) {
    a = {out - 1, in - 1, 0, 0};
  } else {
    a = {2 * out, 2 * in, 0, 0};
    if (halfPixel)
      a.offset = in - out;
    else if (nearest)
      a.offset = -out;
  }
  if (a.d == 0) // a 1-pixel input: every output reads it
    a.d = 1;
  int64_t g = std::gcd(std::gcd(a.n, a.d), std::abs(a.offset));
  a.n /= g;
  a.d /= g;
  a.offset /= g;
  // TOSA fixes the output size through the border: (out - 1) * d =
  // (in - 1) * n - offset + border.
  a.border = (out - 1) * a.d - (in - 1) * a.n + a.offset;
  return a;
}

llvm::Error convertResize(OpContext &node) {
  bool nearest = node.opType() == "ResizeNearestNeighbor";
  if (node.rank(0) != 4)
    return node.fail("the images must be 4-D (NHWC), not " + shapeString(node.shape(0)));
  if (node.dtype(0) != DType::F32)
    return node.fail("only float32 images are supported");
  auto size = node.constInts(1, "size");
  if (!size)
    return size.takeError();
  if (size->size() != 2 || (*size)[0] < 1 || (*size)[1] < 1)
    return node.fail("size must be two positive values, not " + shapeString(*size));
  bool alignCorners = node.attrs().getBool("align_corners", false);
  bool halfPixel = node.attrs().getBool("half_pixel_centers", false);
  if (alignCorners && halfPixel)
    return node.fail("align_corners and half_pixel_centers cannot both be set");
  llvm::ArrayRef<int64_t> in = node.shape(0);
  Axis y = axisParams(in[1], (*size)[0], alignCorners, halfPixel, nearest);
  Axis x = axisParams(in[2], (*size)[1], alignCorners, halfPixel, nearest);
  auto &b = node.builder();
  auto type = tensorOf({in[0], (*size)[0], (*size)[1], in[3]}, b.getF32Type());
  node.setValue(0, node.create<tosa::ResizeOp>(
                       type, node.value(0), b.getDenseI64ArrayAttr({y.n, y.d, x.n, x.d}),
                       b.getDenseI64ArrayAttr({y.offset, x.offset}),
                       b.getDenseI64ArrayAttr({y.border, x.border}),
                       b.getStringAttr(nearest ? "NEAREST_NEIGHBOR" : "BILINEAR")));
  return llvm::Error::success();
}

} // namespace

void registerResizeOps(OpTable &table) {
  table.add("ResizeBilinear", convertResize, 2, 2);
  table.add("ResizeNearestNeighbor", convertResize, 2, 2);
}

} // namespace kiln::tfjs_import
