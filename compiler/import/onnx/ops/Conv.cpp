//===- Conv.cpp - Conv and ConvTranspose ----------------------------------===//
//
// ONNX convolutions are NCHW with OIHW weights; TOSA's are NHWC with OHWI
// weights (depthwise: [KH, KW, C, M]; transpose: [OC, KH, KW, IC]). The input
// is wrapped in explicit transposes (docs/CONVENTIONS.md) and constant weights
// are re-laid out on the host into new constants. 1-D convolutions run as
// 2-D ones with a unit height.
//
// Groups: groups == 1 is conv2d; groups == channels with one input channel
// per group is depthwise_conv2d; other groupings are split into one conv2d
// per group (slices of input and weights, results concatenated).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/import/onnx/ops/Window.h"

#include <cstdlib>
#include <tuple>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// A weight that is either known (re-laid out on the host into a new
// constant) or a run-time value (re-laid out with TOSA ops).
struct Weight {
  std::optional<Literal> literal;
  Value value;
  std::string name;
};

Weight weightInput(OpContext &op, int i, llvm::ArrayRef<int64_t> shape) {
  if (const Literal *lit = op.literal(i))
    return {lit->reshaped(shape.vec()), Value(), op.inputName(i).str()};
  return {std::nullopt, reshape(op.builder(), op.loc(), op.value(i), shape), op.inputName(i).str()};
}

// Optionally slices (start/size), then reshapes and transposes the weight.
Value relayout(OpContext &op, const Weight &w, llvm::ArrayRef<int64_t> shape,
               llvm::ArrayRef<int64_t> perm, llvm::ArrayRef<int64_t> sliceStart = {},
               llvm::ArrayRef<int64_t> sliceSize = {}) {
  if (w.literal) {
    Literal lit = *w.literal;
    if (!sliceSize.empty())
      lit = lit.strided(sliceStart, llvm::SmallVector<int64_t>(sliceSize.size(), 1), sliceSize);
    return op.constant(lit.reshaped(shape.vec()).transposed(perm), w.name);
  }
  Value v = w.value;
  if (!sliceSize.empty())
    v = slice(op.builder(), op.loc(), v, sliceStart, sliceSize);
  return transpose(op.builder(), op.loc(), reshape(op.builder(), op.loc(), v, shape), perm);
}

llvm::Expected<Value> biasOrZeros(OpContext &op, int i, int64_t channels, Type element) {
  if (!op.hasInput(i))
    return splatConstant(op.builder(), op.loc(), element, 0.0, {channels});
  // libonnx's inference does not check B: a [24,3,5,5] bias reached TOSA and
  // did not verify (an internal error; found by the onnx fuzz target).
  if (op.rank(i) != 1 || op.shape(i)[0] != channels)
    return op.fail("the bias must have one value per output channel (" + llvm::Twine(channels) +
                   "), not shape " + shapeString(op.shape(i)));
  return op.value(i);
}

llvm::Error convertConv(OpContext &op) {
  int64_t rank = op.rank(0);
  if (rank != 3 && rank != 4)
    return op.fail("only 1-D and 2-D convolutions are supported (input rank " + llvm::Twine(rank) +
                   ")");
  if (op.rank(1) != rank)
    return op.fail("weights and input ranks differ");
  bool is1D = rank == 3;
  llvm::SmallVector<int64_t> xShape(op.shape(0)), wShape(op.shape(1));
  if (is1D) { // [N, C, L] as [N, C, 1, L]
    xShape.insert(xShape.begin() + 2, 1);
    wShape.insert(wShape.begin() + 2, 1);
  }
  int64_t n = xShape[0], c = xShape[1], o = wShape[0], kh = wShape[2], kw = wShape[3];
  int64_t groups = op.attrInt("group", 1);
  if (groups < 1 || c % groups || o % groups || wShape[1] != c / groups)
    return op.fail("weights " + shapeString(op.shape(1)) + " do not fit " + llvm::Twine(c) +
                   " input channels in " + llvm::Twine(groups) + " groups");

  // For 1-D the attributes describe the length only; the height is trivial.
  auto window = is1D ? readWindow(op, {xShape[3]}, {kw}, /*ceilMode=*/false)
                     : readWindow(op, {xShape[2], xShape[3]}, {kh, kw}, /*ceilMode=*/false);
  if (!window)
    return window.takeError();
  if (is1D)
    window->insert(window->begin(), WindowDim{});
  TosaWindowDim h = fitToTosa((*window)[0]), w = fitToTosa((*window)[1]);
  llvm::SmallVector<int64_t> pad = {h.padBegin, h.padEnd, w.padBegin, w.padEnd};
  llvm::SmallVector<int64_t> stride = {(*window)[0].stride, (*window)[1].stride};
  llvm::SmallVector<int64_t> dilation = {(*window)[0].dilation, (*window)[1].dilation};
  int64_t oh = (*window)[0].out, ow = (*window)[1].out;

  Type element = op.elementType(0);
  Value x = reshape(op.builder(), op.loc(), op.value(0), xShape);
  x = cropForWindow(op, toNHWC(op.builder(), op.loc(), x), {h, w});
  Weight weight = weightInput(op, 1, wShape);
  llvm::Expected<Value> biasOr = biasOrZeros(op, 2, o, element);
  if (!biasOr)
    return biasOr.takeError();
  Value bias = *biasOr;
  auto &b = op.builder();
  auto conv2d = [&](Value in, Value wOHWI, Value bias, int64_t channels) {
    return op.create<tosa::Conv2DOp>(tensorOf({n, oh, ow, channels}, element), in, wOHWI, bias,
                                     b.getDenseI64ArrayAttr(pad), b.getDenseI64ArrayAttr(stride),
                                     b.getDenseI64ArrayAttr(dilation));
  };

  Value y;
  if (groups == 1) {
    y = conv2d(x, relayout(op, weight, wShape, {0, 2, 3, 1}), bias, o);
  } else if (groups == c && wShape[1] == 1) {
    // Depthwise: output channel c * M + m reads input channel c.
    int64_t m = o / c;
    Value wDepthwise = relayout(op, weight, {c, m, kh, kw}, {2, 3, 0, 1});
    y = op.create<tosa::DepthwiseConv2DOp>(
        tensorOf({n, oh, ow, o}, element), x, wDepthwise, bias, b.getDenseI64ArrayAttr(pad),
        b.getDenseI64ArrayAttr(stride), b.getDenseI64ArrayAttr(dilation));
  } else {
    int64_t cg = c / groups, og = o / groups;
    llvm::ArrayRef<int64_t> xs = typeOf(x).getShape();
    llvm::SmallVector<Value> parts;
    for (int64_t g = 0; g < groups; ++g) {
      Value xg = slice(op.builder(), op.loc(), x, {0, 0, 0, g * cg}, {xs[0], xs[1], xs[2], cg});
      Value wg =
          relayout(op, weight, {og, cg, kh, kw}, {0, 2, 3, 1}, {g * og, 0, 0, 0}, {og, cg, kh, kw});
      Value bg = slice(op.builder(), op.loc(), bias, {g * og}, {og});
      parts.push_back(conv2d(xg, wg, bg, og));
    }
    y = concat(op.builder(), op.loc(), parts, 3);
  }
  y = toNCHW(op.builder(), op.loc(), y);
  if (is1D)
    y = reshape(op.builder(), op.loc(), y, {n, o, ow});
  op.setValue(0, y);
  return llvm::Error::success();
}

llvm::Error convertConvTranspose(OpContext &op) {
  if (op.rank(0) != 4)
    return op.fail("only 2-D transposed convolutions are supported");
  if (op.rank(1) != 4)
    return op.fail("weights and input ranks differ");
  llvm::ArrayRef<int64_t> xShape = op.shape(0), wShape = op.shape(1);
  int64_t n = xShape[0], c = xShape[1], kh = wShape[2], kw = wShape[3];
  if (op.attrInt("group", 1) != 1)
    return op.fail("grouped transposed convolutions are not supported");
  if (wShape[0] != c)
    return op.fail("weights " + shapeString(wShape) + " do not fit " + llvm::Twine(c) +
                   " input channels");
  int64_t o = wShape[1];
  for (int64_t d : op.attrInts("dilations"))
    if (d != 1)
      return op.fail("dilated transposed convolutions are not supported");
  std::vector<int64_t> strides = op.attrInts("strides");
  std::vector<int64_t> pads = op.attrInts("pads");
  std::vector<int64_t> outPadding = op.attrInts("output_padding");
  std::vector<int64_t> outputShape = op.attrInts("output_shape");
  std::string autoPad = op.attrString("auto_pad", "NOTSET");
  // Each list, when given, has one value per spatial dimension (pads two;
  // output_shape may also lead with N and C).
  for (auto [name, values, sizes] :
       {std::tuple{"strides", &strides, std::pair<size_t, size_t>{2, 2}},
        std::tuple{"pads", &pads, std::pair<size_t, size_t>{4, 4}},
        std::tuple{"output_padding", &outPadding, std::pair<size_t, size_t>{2, 2}},
        std::tuple{"output_shape", &outputShape, std::pair<size_t, size_t>{2, 4}}})
    if (!values->empty() && values->size() != sizes.first && values->size() != sizes.second)
      return op.fail(llvm::Twine(name) + " has " + llvm::Twine(values->size()) +
                     " values; a 2-D transposed convolution takes " + llvm::Twine(sizes.first));
  int64_t k[2] = {kh, kw}, in[2] = {xShape[2], xShape[3]};
  int64_t out[2], padBegin[2], padEnd[2], s[2];
  for (int i = 0; i < 2; ++i) {
    s[i] = strides.empty() ? 1 : strides[i];
    int64_t extra = outPadding.empty() ? 0 : outPadding[i];
    // Sizes from the model: below 2^31 each, the arithmetic below cannot
    // overflow (and Halide's extents are 32-bit anyway).
    constexpr int64_t kMax = (int64_t(1) << 31) - 1;
    if (s[i] > kMax || in[i] > kMax || k[i] > kMax || std::abs(extra) > kMax)
      return op.fail("input, kernel, stride or output_padding over 2^31 - 1");
    int64_t full = s[i] * (in[i] - 1) + extra + k[i];
    if (!outputShape.empty() || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      // The pads follow from the requested output size. Which end takes the
      // odd pixel follows ONNX Runtime (the reference Kiln is tested against).
      int64_t target =
          !outputShape.empty() ? outputShape[outputShape.size() - 2 + i] : in[i] * s[i];
      int64_t total = full - target;
      if (total < 0)
        return op.fail("output_shape is larger than the full transposed convolution");
      padBegin[i] = autoPad == "SAME_UPPER" ? total - total / 2 : total / 2;
      padEnd[i] = total - padBegin[i];
    } else {
      bool none = pads.empty() || autoPad == "VALID";
      padBegin[i] = none ? 0 : pads[i];
      padEnd[i] = none ? 0 : pads[i + 2];
    }
    out[i] = full - padBegin[i] - padEnd[i];
    if (padBegin[i] < 0 || padEnd[i] < 0 || padBegin[i] >= k[i] || padEnd[i] - extra >= k[i])
      return op.fail("pads must be non-negative and smaller than the kernel");
    // TOSA: OH = (IH - 1) * stride + out_pad_top + out_pad_bottom + KH.
    padEnd[i] -= extra;
  }
  Type element = op.elementType(0);
  auto &b = op.builder();
  Value x = toNHWC(op.builder(), op.loc(), op.value(0));
  Value weight = relayout(op, weightInput(op, 1, wShape), wShape, {1, 2, 3, 0}); // OHWI
  llvm::Expected<Value> biasOr = biasOrZeros(op, 2, o, element);
  if (!biasOr)
    return biasOr.takeError();
  Value bias = *biasOr;
  llvm::SmallVector<int64_t> outShape = {n, out[0], out[1], o};
  Value y = op.create<tosa::TransposeConv2DOp>(
      tensorOf(outShape, element), x, weight, bias,
      b.getDenseI64ArrayAttr({-padBegin[0], -padEnd[0], -padBegin[1], -padEnd[1]}),
      b.getDenseI64ArrayAttr({s[0], s[1]}), b.getDenseI64ArrayAttr(outShape));
  op.setValue(0, toNCHW(op.builder(), op.loc(), y));
  return llvm::Error::success();
}

} // namespace

void registerConvOps(OpTable &table) {
  table.add("Conv", convertConv);
  table.add("ConvTranspose", convertConvTranspose);
}

} // namespace kiln::onnx_import
