//===- Conv.cpp - Conv2D, DepthwiseConv2dNative and their fused forms -----===//
//
// TF convolutions are NHWC like TOSA's; only the filters differ. Conv2D's
// HWIO filter becomes TOSA's OHWI (a host transpose of the weights, or a
// tosa.transpose when the filter is computed); the depthwise [H, W, C, M]
// filter is already TOSA's layout. The fused forms (grappler's remapper and
// the TF.js converter make them) add a bias and one activation.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/Tosa.h"
#include "compiler/import/tfjs/ops/Helpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// HWIO -> OHWI.
constexpr int64_t kFilterToOHWI[] = {3, 0, 1, 2};

llvm::Error convertConv(NodeContext &node, bool depthwise, bool fused) {
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
  } else if (const HostTensor *h = node.host(1)) {
    std::string name = llvm::StringRef(node.node().inputs[1]).rsplit(':').first.str();
    weights =
        node.graph().derivedConstant(name + "_ohwi", [&] { return h->transposed(kFilterToOHWI); });
  } else {
    weights = transpose(node, node.value(1), kFilterToOHWI);
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

llvm::Error convertConv2D(NodeContext &node) { return convertConv(node, false, false); }
llvm::Error convertFusedConv2D(NodeContext &node) { return convertConv(node, false, true); }
llvm::Error convertDepthwise(NodeContext &node) { return convertConv(node, true, false); }
llvm::Error convertFusedDepthwise(NodeContext &node) { return convertConv(node, true, true); }

} // namespace

void registerConvOps(OpTable &table) {
  table.add("Conv2D", convertConv2D, 2, 2);
  table.add("_FusedConv2D", convertFusedConv2D, 2, -1);
  table.add("DepthwiseConv2dNative", convertDepthwise, 2, 2);
  table.add("FusedDepthwiseConv2dNative", convertFusedDepthwise, 2, -1);
}

} // namespace kiln::tfjs_import
