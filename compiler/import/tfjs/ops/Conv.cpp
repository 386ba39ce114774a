//===- Conv.cpp - Conv2D, depthwise, fused and transposed convolutions ----===//
//
// TF convolutions are NHWC like TOSA's; only the filters differ. Conv2D's
// HWIO filter becomes TOSA's OHWI (a host transpose of the weights, or a
// tosa.transpose when the filter is computed); the depthwise [H, W, C, M]
// filter is already TOSA's layout. The fused forms (grappler's remapper and
// the TF.js converter make them) add a bias and one activation.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Helpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// HWIO -> OHWI.
constexpr int64_t kFilterToOHWI[] = {3, 0, 1, 2};

llvm::Error convertConv(OpContext &node, bool depthwise, bool fused) {
  if (llvm::Error err = requireNHWC(node))
    return err;
  if (node.rank(0) != 4 || node.rank(1) != 4)
    return node.fail("input and filter must be 4-D, not " + shapeString(node.shape(0)) + " and " +
                     shapeString(node.shape(1)));
  if (node.dtype(0) != DType::F32 || node.dtype(1) != DType::F32)
    return node.fail("only float32 convolutions are supported");
  auto stride = spatialAttr(node, "strides", /*required=*/true);
  if (!stride)
    return stride.takeError();
  auto dilation = spatialAttr(node, "dilations", /*required=*/false);
  if (!dilation)
    return dilation.takeError();
  FusedOps fusedOps;
  if (fused) {
    auto f = readFusedOps(node, /*firstArg=*/2);
    if (!f)
      return f.takeError();
    fusedOps = *f;
  } else if (node.numInputs() != 2) {
    return node.fail("expected 2 inputs (input, filter)");
  }

  llvm::ArrayRef<int64_t> in = node.shape(0), filter = node.shape(1);
  int64_t kh = filter[0], kw = filter[1], channels = in[3];
  if (filter[2] != channels)
    return node.fail("the filter " + shapeString(filter) + " does not match " +
                     llvm::Twine(channels) + " input channels" +
                     (depthwise ? "" : " (grouped convolution is not supported)"));
  int64_t outChannels = depthwise ? channels * filter[3] : filter[3];

  Value weights;
  if (depthwise) {
    weights = node.value(1);
  } else if (const Literal *h = node.literal(1)) {
    std::string name = node.inputName(1).rsplit(':').first.str();
    weights =
        node.graph().derivedConstant(name + "_ohwi", [&] { return h->transposed(kFilterToOHWI); });
  } else {
    weights = transpose(node.builder(), node.loc(), node.value(1), kFilterToOHWI);
  }
  auto bias = fusedBias(node, fusedOps, outChannels);
  if (!bias)
    return bias.takeError();

  Value x = node.value(0);
  auto windows = spatialWindows(node, x, {kh, kw}, *stride, *dilation);
  if (!windows)
    return windows.takeError();
  auto [h, w] = *windows;
  auto resultType = tensorOf({in[0], h.out, w.out, outChannels}, node.builder().getF32Type());
  auto &b = node.builder();
  auto pads = b.getDenseI64ArrayAttr({h.padBefore, h.padAfter, w.padBefore, w.padAfter});
  auto strides = b.getDenseI64ArrayAttr(*stride);
  auto dilations = b.getDenseI64ArrayAttr(*dilation);
  Value out = depthwise ? node.create<tosa::DepthwiseConv2DOp>(resultType, x, weights, *bias, pads,
                                                               strides, dilations)
                        : node.create<tosa::Conv2DOp>(resultType, x, weights, *bias, pads, strides,
                                                      dilations);
  auto activated = fusedActivation(node, fusedOps, out);
  if (!activated)
    return activated.takeError();
  node.setValue(0, *activated);
  return llvm::Error::success();
}

llvm::Error convertConv2D(OpContext &node) { return convertConv(node, false, false); }
llvm::Error convertFusedConv2D(OpContext &node) { return convertConv(node, false, true); }
llvm::Error convertDepthwise(OpContext &node) { return convertConv(node, true, false); }
llvm::Error convertFusedDepthwise(OpContext &node) { return convertConv(node, true, true); }

// Conv2DBackpropInput (tf.conv2d_transpose): (input_sizes, filter, grads).
// The filter is [KH, KW, out channels, in channels]; TOSA's transpose_conv2d
// takes [out, KH, KW, in]. Output row oy receives input row iy through tap ky
// where oy = iy * stride + ky - pad, pad being the forward convolution's
// top padding: TOSA's out_pad is its negative.
llvm::Error convertConvTranspose(OpContext &node) {
  if (llvm::Error err = requireNHWC(node))
    return err;
  auto sizes = node.constInts(0, "input_sizes");
  if (!sizes)
    return sizes.takeError();
  llvm::ArrayRef<int64_t> filter = node.shape(1), in = node.shape(2);
  if (sizes->size() != 4 || filter.size() != 4 || in.size() != 4)
    return node.fail("input_sizes, filter and input must describe 4-D tensors");
  if (filter[3] != in[3] || (*sizes)[3] != filter[2] || (*sizes)[0] != in[0])
    return node.fail("filter " + shapeString(filter) + " does not map " + shapeString(in) + " to " +
                     shapeString(*sizes));
  if (node.dtype(1) != DType::F32 || node.dtype(2) != DType::F32)
    return node.fail("only float32 convolutions are supported");
  auto stride = spatialAttr(node, "strides", /*required=*/true);
  if (!stride)
    return stride.takeError();
  auto dilation = spatialAttr(node, "dilations", /*required=*/false);
  if (!dilation)
    return dilation.takeError();
  if ((*dilation)[0] != 1 || (*dilation)[1] != 1)
    return node.fail("dilated transposed convolutions are not supported");
  std::string padding = node.attrs().getString("padding", "");
  std::vector<int64_t> explicitPads = node.attrs().getInts("explicit_paddings");
  std::array<int64_t, 4> outPad;
  for (int d = 0; d < 2; ++d) {
    int64_t out = (*sizes)[1 + d], k = filter[d], s = (*stride)[d];
    // The forward convolution maps `out` to `in`: it must, and its padding
    // is the one to undo.
    auto w = tfWindow(node, padding, out, k, s, 1,
                      explicitPads.size() == 8 ? explicitPads[2 + 2 * d] : 0,
                      explicitPads.size() == 8 ? explicitPads[3 + 2 * d] : 0);
    if (!w)
      return w.takeError();
    if (w->out != in[1 + d])
      return node.fail("a convolution of " + shapeString(*sizes) + " gives " + llvm::Twine(w->out) +
                       " in dimension " + llvm::Twine(1 + d) + ", not " + llvm::Twine(in[1 + d]));
    outPad[2 * d] = -w->padBefore;
    outPad[2 * d + 1] = out - (in[1 + d] - 1) * s - k + w->padBefore;
  }
  Value weights;
  constexpr int64_t kToOHWI[] = {2, 0, 1, 3};
  if (const Literal *h = node.literal(1)) {
    std::string name = node.inputName(1).rsplit(':').first.str();
    weights = node.graph().derivedConstant(name + "_ohwi", [&] { return h->transposed(kToOHWI); });
  } else {
    weights = transpose(node.builder(), node.loc(), node.value(1), kToOHWI);
  }
  auto &b = node.builder();
  Type f32 = b.getF32Type();
  Value bias = splatConstant(node.builder(), node.loc(), f32, 0, {filter[2]});
  node.setValue(0, node.create<tosa::TransposeConv2DOp>(
                       tensorOf(*sizes, f32), node.value(2), weights, bias,
                       b.getDenseI64ArrayAttr(outPad), b.getDenseI64ArrayAttr(*stride),
                       b.getDenseI64ArrayAttr(*sizes)));
  return llvm::Error::success();
}

} // namespace

void registerConvOps(OpTable &table) {
  table.add("Conv2D", convertConv2D, 2, 2);
  table.add("_FusedConv2D", convertFusedConv2D, 2, -1);
  table.add("DepthwiseConv2dNative", convertDepthwise, 2, 2);
  table.add("DepthwiseConv2d", convertDepthwise, 2, 2); // TF.js's name for the same op
  table.add("FusedDepthwiseConv2dNative", convertFusedDepthwise, 2, -1);
  table.add("Conv2DBackpropInput", convertConvTranspose, 3, 3);
}

} // namespace kiln::tfjs_import
