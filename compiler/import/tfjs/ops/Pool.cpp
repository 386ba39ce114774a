//===- Pool.cpp - MaxPool, AvgPool, MaxPool3D and AvgPool3D ---------------===//
//
// NHWC already (NCHW through ops/Layout.h's transposes). TF's SAME average pooling divides by the
// taps inside the input, which is what tosa.avg_pool2d does with padding.
//
// The 3-D pools are separable: a 2-D TOSA pool over (H, W) with the depths
// folded into the batch, then the depth window tap by tap (a strided view of
// the depths per tap, combined by max or sum), as the ONNX importer writes
// its 3-D pools (compiler/import/onnx/ops/PoolTaps.h) but with TOSA's 2-D
// kernel doing most of the work. TF's SAME average divides by the taps
// inside the input, a count that is the product of one count per dimension,
// so dividing by the (H, W) count and then the depth count is the same.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Helpers.h"
#include "compiler/import/tfjs/ops/Layout.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

llvm::Error convertPool(OpContext &node) {
  bool isMax = node.opType() == "MaxPool";
  auto nchw = isNCHW(node);
  if (!nchw)
    return nchw.takeError();
  if (*nchw)
    return convertThroughNHWC(node, convertPool);
  if (node.rank(0) != 4)
    return node.fail("the input must be 4-D, not " + shapeString(node.shape(0)));
  if (node.dtype(0) != DType::F32)
    return node.fail("only float32 pooling is supported");
  auto kernel = spatialAttr(node, "ksize", /*required=*/true);
  if (!kernel)
    return kernel.takeError();
  auto stride = spatialAttr(node, "strides", /*required=*/true);
  if (!stride)
    return stride.takeError();
  Value x = node.value(0);
  auto windows = spatialWindows(node, x, *kernel, *stride, {1, 1});
  if (!windows)
    return windows.takeError();
  auto [h, w] = *windows;
  auto in = node.shape(0);
  auto &b = node.builder();
  auto resultType = tensorOf({in[0], h.out, w.out, in[3]}, b.getF32Type());
  auto kernelAttr = b.getDenseI64ArrayAttr(*kernel);
  auto strideAttr = b.getDenseI64ArrayAttr(*stride);
  auto padAttr = b.getDenseI64ArrayAttr({h.padBefore, h.padAfter, w.padBefore, w.padAfter});
  Value out = isMax ? node.create<tosa::MaxPool2dOp>(resultType, x, kernelAttr, strideAttr, padAttr)
                    : node.create<tosa::AvgPool2dOp>(resultType, x, kernelAttr, strideAttr, padAttr,
                                                     TypeAttr::get(b.getF32Type()));
  node.setValue(0, out);
  return llvm::Error::success();
}

// Depths start, start + stride, ... (count of them) of [N, D, R].
Value depthView(OpBuilder &b, Location loc, Value v, int64_t start, int64_t count, int64_t stride) {
  auto s = typeOf(v).getShape();
  v = slice(b, loc, v, {0, start, 0}, {s[0], count * stride, s[2]});
  if (stride == 1)
    return v;
  v = reshape(b, loc, v, {s[0], count, stride, s[2]});
  v = slice(b, loc, v, {0, 0, 0, 0}, {s[0], count, 1, s[2]});
  return reshape(b, loc, v, {s[0], count, s[2]});
}

// MaxPool3D and AvgPool3D, NDHWC: see the file comment.
llvm::Error convertPool3D(OpContext &node) {
  bool isMax = node.opType() == "MaxPool3D";
  std::string format = node.attrs().getString("data_format", "NDHWC");
  if (format != "NDHWC")
    return node.fail("data_format " + format + " is not supported (TF.js models are NDHWC)");
  if (node.rank(0) != 5)
    return node.fail("the input must be 5-D, not " + shapeString(node.shape(0)));
  if (node.dtype(0) != DType::F32)
    return node.fail("only float32 pooling is supported");
  std::vector<int64_t> ksize = node.attrs().getInts("ksize"),
                       strides = node.attrs().getInts("strides");
  if (ksize.size() != 5 || strides.size() != 5)
    return node.fail("ksize and strides must have 5 entries (NDHWC)");
  if (ksize[0] != 1 || ksize[4] != 1 || strides[0] != 1 || strides[4] != 1)
    return node.fail("ksize and strides must be 1 on the batch and channel dimensions");
  std::string padding = node.attrs().getString("padding", "");
  if (padding != "SAME" && padding != "VALID")
    return node.fail("padding '" + padding + "' is not supported (SAME or VALID)");
  llvm::ArrayRef<int64_t> in = node.shape(0);
  int64_t n = in[0], depth = in[1], kd = ksize[1], sd = strides[1];
  auto dw = tfWindow(node, padding, depth, kd, sd, 1, 0, 0);
  if (!dw)
    return dw.takeError();
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Type f32 = b.getF32Type();

  // (H, W) by TOSA, the depths in the batch.
  Value x = reshape(b, loc, node.value(0), {n * depth, in[2], in[3], in[4]});
  std::array<int64_t, 2> kernel{ksize[2], ksize[3]}, stride{strides[2], strides[3]};
  auto windows = spatialWindows(node, x, kernel, stride, {1, 1});
  if (!windows)
    return windows.takeError();
  auto [h, w] = *windows;
  auto kernelAttr = b.getDenseI64ArrayAttr(kernel);
  auto strideAttr = b.getDenseI64ArrayAttr(stride);
  auto padAttr = b.getDenseI64ArrayAttr({h.padBefore, h.padAfter, w.padBefore, w.padAfter});
  auto planeType = tensorOf({n * depth, h.out, w.out, in[4]}, f32);
  Value planes = isMax
                     ? node.create<tosa::MaxPool2dOp>(planeType, x, kernelAttr, strideAttr, padAttr)
                     : node.create<tosa::AvgPool2dOp>(planeType, x, kernelAttr, strideAttr, padAttr,
                                                      TypeAttr::get(f32));

  // The depth window, tap by tap; padding never wins a max and adds 0 to a
  // sum. The end is padded so that every tap's strided view fits.
  int64_t od = dw->out, row = h.out * w.out * in[4];
  Value v = reshape(b, loc, planes, {n, depth, row});
  int64_t after = std::max<int64_t>(kd - 1 + od * sd - depth - dw->padBefore, 0);
  v = pad(b, loc, v, {0, 0, dw->padBefore, after, 0, 0},
          isMax ? -std::numeric_limits<double>::infinity() : 0.0);
  Value out;
  for (int64_t k = 0; k < kd; ++k) {
    Value tap = depthView(b, loc, v, k, od, sd);
    out = !out    ? tap
          : isMax ? binary<tosa::MaximumOp>(b, loc, out, tap)
                  : binary<tosa::AddOp>(b, loc, out, tap);
  }
  if (!isMax) {
    std::vector<float> inverse;
    for (int64_t o = 0; o < od; ++o) {
      int64_t first = o * sd - dw->padBefore, count = 0;
      for (int64_t k = 0; k < kd; ++k)
        count += first + k >= 0 && first + k < depth;
      inverse.push_back(1.0f / static_cast<float>(std::max<int64_t>(count, 1)));
    }
    Literal scale = Literal::fromFloats({1, od, 1}, std::move(inverse));
    out = mul(b, loc, out, node.graph().createConstant(scale, node.node().name + "_scale"));
  }
  node.setValue(0, reshape(b, loc, out, {n, od, h.out, w.out, in[4]}));
  return llvm::Error::success();
}

} // namespace

void registerPoolOps(OpTable &table) {
  table.add("MaxPool", convertPool, 1, 1);
  table.add("AvgPool", convertPool, 1, 1);
  table.add("MaxPool3D", convertPool3D, 1, 1);
  table.add("AvgPool3D", convertPool3D, 1, 1);
}

} // namespace kiln::tfjs_import
