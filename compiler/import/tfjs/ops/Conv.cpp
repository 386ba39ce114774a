//===- Conv.cpp - Conv2D, depthwise, fused and transposed convolutions ----===//
//
// TF convolutions are NHWC like TOSA's (NCHW ones go through ops/Layout.h's
// transposes); only the filters differ. Conv2D's
// HWIO filter becomes TOSA's OHWI (a host transpose of the weights, or a
// tosa.transpose when the filter is computed); the depthwise [H, W, C, M]
// filter is already TOSA's layout. The fused forms (grappler's remapper and
// the TF.js converter make them) add a bias and one activation.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Helpers.h"
#include "compiler/import/tfjs/ops/Layout.h"
#include "compiler/import/tfjs/ops/OpTable.h"
#include "nlohmann/json.hpp"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// HWIO -> OHWI.
constexpr int64_t kFilterToOHWI[] = {3, 0, 1, 2};

// The filter as TOSA's conv2d takes it, OHWI: a host transpose of a known
// filter (stored once per weight), else a tosa.transpose.
Value ohwiWeights(OpContext &node) {
  if (const Literal *h = node.literal(1)) {
    std::string name = node.inputName(1).rsplit(':').first.str();
    return node.graph().derivedConstant(name + "_ohwi",
                                        [&] { return h->transposed(kFilterToOHWI); });
  }
  return transpose(node.builder(), node.loc(), node.value(1), kFilterToOHWI);
}

// A grouped Conv2D (input channels a multiple g of the filter's): output
// channels [k * O/g, (k+1) * O/g) see input channels [k * C/g, ...). One
// input channel per group is a depthwise convolution whose [H, W, C, O/C]
// filter is the [H, W, 1, O] one reshaped (output k * M + m is group k's
// m-th); otherwise one TOSA conv2d per group on channel slices, concatenated.
Value groupedConv(OpContext &node, Value x, RankedTensorType resultType, Value bias,
                  DenseI64ArrayAttr pads, DenseI64ArrayAttr strides, DenseI64ArrayAttr dilations) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  llvm::ArrayRef<int64_t> filter = node.shape(1);
  int64_t kh = filter[0], kw = filter[1], perGroup = filter[2], outChannels = filter[3];
  int64_t groups = typeOf(x).getDimSize(3) / perGroup, outPerGroup = outChannels / groups;
  if (perGroup == 1) {
    std::vector<int64_t> shape = {kh, kw, groups, outPerGroup};
    Value w =
        node.literal(1)
            ? node.graph().derivedConstant(node.inputName(1).rsplit(':').first.str() + "_grouped",
                                           [&] { return node.literal(1)->reshaped(shape); })
            : reshape(b, loc, node.value(1), shape);
    return node.create<tosa::DepthwiseConv2DOp>(resultType, x, w, bias, pads, strides, dilations);
  }
  Value weights = ohwiWeights(node);
  llvm::ArrayRef<int64_t> in = typeOf(x).getShape(), out = resultType.getShape();
  llvm::SmallVector<Value> parts;
  for (int64_t g = 0; g < groups; ++g) {
    Value xg = slice(b, loc, x, {0, 0, 0, g * perGroup}, {in[0], in[1], in[2], perGroup});
    Value wg = slice(b, loc, weights, {g * outPerGroup, 0, 0, 0}, {outPerGroup, kh, kw, perGroup});
    Value bg = slice(b, loc, bias, {g * outPerGroup}, {outPerGroup});
    parts.push_back(node.create<tosa::Conv2DOp>(
        tensorOf({out[0], out[1], out[2], outPerGroup}, resultType.getElementType()), xg, wg, bg,
        pads, strides, dilations));
  }
  return concat(b, loc, parts, 3);
}

llvm::Error convertConv(OpContext &node, bool depthwise, bool fused) {
  auto nchw = isNCHW(node);
  if (!nchw)
    return nchw.takeError();
  if (*nchw)
    return convertThroughNHWC(node, [&](OpContext &c) { return convertConv(c, depthwise, fused); });
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
  // TF's Conv2D groups the channels when the input has a multiple of the
  // filter's (TF.js refuses it); the output channels must split as evenly.
  bool grouped = !depthwise && filter[2] > 0 && filter[2] != channels &&
                 channels % filter[2] == 0 && filter[3] % (channels / filter[2]) == 0;
  if (filter[2] != channels && !grouped)
    return node.fail("the filter " + shapeString(filter) + " does not match " +
                     llvm::Twine(channels) + " input channels" +
                     (depthwise ? ""
                                : " (nor groups them: the input channels must be a multiple "
                                  "of the filter's, and the output channels of the groups)"));
  int64_t outChannels = depthwise ? channels * filter[3] : filter[3];

  Value weights;
  if (depthwise)
    weights = node.value(1);
  else if (!grouped)
    weights = ohwiWeights(node);
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
  Value out = grouped     ? groupedConv(node, x, resultType, *bias, pads, strides, dilations)
              : depthwise ? node.create<tosa::DepthwiseConv2DOp>(resultType, x, weights, *bias,
                                                                 pads, strides, dilations)
                          : node.create<tosa::Conv2DOp>(resultType, x, weights, *bias, pads,
                                                        strides, dilations);
  auto activated = fusedActivation(node, fusedOps, out);
  if (!activated)
    return activated.takeError();
  node.setValue(0, *activated);
  return llvm::Error::success();
}

llvm::Error convertConv2D(OpContext &node) { return convertConv(node, false, false); }

// Conv1D and Conv3D go through Conv2D nodes made here: `input` and
// `filter` (NHWC and HWIO) are defined under the made node's name, and its
// attributes are the 2-D forms of the op's.
llvm::Expected<Value> conv2dThrough(OpContext &node, llvm::StringRef tag, ValueEntry input,
                                    ValueEntry filter, std::array<int64_t, 2> stride,
                                    std::array<int64_t, 2> dilation, llvm::StringRef padding) {
  if (padding != "SAME" && padding != "VALID")
    return node.fail("padding '" + padding + "' is not supported (SAME or VALID)");
  auto str = [](int64_t v) { return std::to_string(v); };
  // TF AttrValues in protobuf's JSON mapping: strings are base64.
  nlohmann::ordered_json attr = {
      {"strides", {{"list", {{"i", {"1", str(stride[0]), str(stride[1]), "1"}}}}}},
      {"dilations", {{"list", {{"i", {"1", str(dilation[0]), str(dilation[1]), "1"}}}}}},
      {"padding", {{"s", padding == "SAME" ? "U0FNRQ==" : "VkFMSUQ="}}},
      {"data_format", {{"s", "TkhXQw=="}}}};
  GraphImporter &graph = node.graph();
  std::string base = node.node().name + "/" + tag.str();
  graph.define(base + "/input:0", std::move(input));
  graph.define(base + "/filter:0", std::move(filter));
  TfNode conv{base, "Conv2D", {base + "/input:0", base + "/filter:0"}, &attr};
  OpContext ctx(graph, conv, node.loc());
  llvm::Error err = convertConv(ctx, false, false);
  if (llvm::Error attrErr = ctx.attrs().takeError()) {
    llvm::consumeError(std::move(err));
    return std::move(attrErr);
  }
  if (err)
    return std::move(err);
  return graph.lookup(base + ":0")->value;
}

// Input `i` reshaped (a literal stays one), as an entry for conv2dThrough.
ValueEntry reshapedEntry(OpContext &node, int i, std::vector<int64_t> shape) {
  ValueEntry e;
  if (const Literal *l = node.literal(i))
    e.literal = l->reshaped(shape);
  else
    e.value = reshape(node.builder(), node.loc(), node.value(i), shape);
  return e;
}

// Conv1D (TF.js's op for tf.conv1d): [N, W, C] * [K, C, O] is a Conv2D of
// height 1.
llvm::Error convertConv1D(OpContext &node) {
  std::string format = node.attrs().getString("data_format", "NWC");
  if (format != "NWC")
    return node.fail("data_format " + format + " is not supported (TF.js models are NWC)");
  if (node.rank(0) != 3 || node.rank(1) != 3)
    return node.fail("input and filter must be 3-D, not " + shapeString(node.shape(0)) + " and " +
                     shapeString(node.shape(1)));
  llvm::ArrayRef<int64_t> in = node.shape(0), filter = node.shape(1);
  auto out =
      conv2dThrough(node, "conv2d", reshapedEntry(node, 0, {in[0], 1, in[1], in[2]}),
                    reshapedEntry(node, 1, {1, filter[0], filter[1], filter[2]}),
                    {1, node.attrs().getInt("stride", 1)}, {1, node.attrs().getInt("dilation", 1)},
                    node.attrs().getString("padding", ""));
  if (!out)
    return out.takeError();
  llvm::ArrayRef<int64_t> shape = typeOf(*out).getShape();
  node.setValue(0, reshape(node.builder(), node.loc(), *out, {shape[0], shape[2], shape[3]}));
  return llvm::Error::success();
}

// Conv3D: [N, D, H, W, C] * [KD, KH, KW, C, O] as the sum over kd of one
// Conv2D each, the output depths folded into the batch: depth slice kd of
// the filter meets input depths od * stride + kd * dilation.
llvm::Error convertConv3D(OpContext &node) {
  std::string format = node.attrs().getString("data_format", "NDHWC");
  if (format != "NDHWC")
    return node.fail("data_format " + format + " is not supported (TF.js models are NDHWC)");
  if (node.rank(0) != 5 || node.rank(1) != 5)
    return node.fail("input and filter must be 5-D, not " + shapeString(node.shape(0)) + " and " +
                     shapeString(node.shape(1)));
  if (node.dtype(0) != DType::F32 || node.dtype(1) != DType::F32)
    return node.fail("only float32 convolutions are supported");
  std::vector<int64_t> strides = node.attrs().getInts("strides");
  std::vector<int64_t> dilations = node.attrs().getInts("dilations");
  if (dilations.empty())
    dilations.assign(5, 1);
  if (strides.size() != 5 || dilations.size() != 5)
    return node.fail("strides and dilations must have 5 values");
  std::string padding = node.attrs().getString("padding", "");
  llvm::ArrayRef<int64_t> in = node.shape(0), filter = node.shape(1);
  int64_t n = in[0], depth = in[1], kd = filter[0], sd = strides[1], dd = dilations[1];
  if (filter[3] != in[4])
    return node.fail("the filter " + shapeString(filter) + " does not match " + llvm::Twine(in[4]) +
                     " input channels");
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value x = node.value(0);
  int64_t span = (kd - 1) * dd + 1, od;
  if (padding == "SAME") {
    od = (depth + sd - 1) / sd;
    int64_t total = std::max<int64_t>((od - 1) * sd + span - depth, 0);
    if (total > 0) {
      x = pad(b, loc, x, {0, 0, total / 2, total - total / 2, 0, 0, 0, 0, 0, 0}, 0);
      depth += total;
    }
  } else {
    od = depth >= span ? (depth - span) / sd + 1 : 0;
  }
  if (od < 1)
    return node.fail("the filter " + shapeString(filter) + " is deeper than the input " +
                     shapeString(in));
  Value sum;
  for (int64_t k = 0; k < kd; ++k) {
    // Input depths od * sd + k * dd, as [N * OD, H, W, C].
    Value slab;
    if (sd == 1) {
      slab = slice(b, loc, x, {0, k * dd, 0, 0, 0}, {n, od, in[2], in[3], in[4]});
    } else {
      llvm::SmallVector<Value> planes;
      for (int64_t o = 0; o < od; ++o)
        planes.push_back(
            slice(b, loc, x, {0, o * sd + k * dd, 0, 0, 0}, {n, 1, in[2], in[3], in[4]}));
      slab = concat(b, loc, planes, 1);
    }
    ValueEntry input;
    input.value = reshape(b, loc, slab, {n * od, in[2], in[3], in[4]});
    ValueEntry taps;
    std::vector<int64_t> tapShape(filter.begin() + 1, filter.end());
    if (const Literal *w = node.literal(1))
      taps.literal = w->strided({k, 0, 0, 0, 0}, {1, 1, 1, 1, 1},
                                {1, filter[1], filter[2], filter[3], filter[4]})
                         .reshaped(tapShape);
    else
      taps.value = reshape(b, loc,
                           slice(b, loc, node.value(1), {k, 0, 0, 0, 0},
                                 {1, filter[1], filter[2], filter[3], filter[4]}),
                           tapShape);
    auto out = conv2dThrough(node, "depth" + std::to_string(k), std::move(input), std::move(taps),
                             {strides[2], strides[3]}, {dilations[2], dilations[3]}, padding);
    if (!out)
      return out.takeError();
    sum = sum ? binary<tosa::AddOp>(b, loc, sum, *out) : *out;
  }
  llvm::ArrayRef<int64_t> shape = typeOf(sum).getShape();
  node.setValue(0, reshape(b, loc, sum, {n, od, shape[1], shape[2], shape[3]}));
  return llvm::Error::success();
}

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
  table.add("Conv1D", convertConv1D, 2, 2);
  table.add("Conv3D", convertConv3D, 2, 2);
  table.add("_FusedConv2D", convertFusedConv2D, 2, -1);
  table.add("DepthwiseConv2dNative", convertDepthwise, 2, 2);
  table.add("DepthwiseConv2d", convertDepthwise, 2, 2); // TF.js's name for the same op
  table.add("FusedDepthwiseConv2dNative", convertFusedDepthwise, 2, -1);
  table.add("Conv2DBackpropInput", convertConvTranspose, 3, 3);
}

} // namespace kiln::tfjs_import
