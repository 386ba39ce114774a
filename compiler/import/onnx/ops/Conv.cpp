//===- Conv.cpp - Conv and ConvTranspose ----------------------------------===//
//
// ONNX convolutions are NCHW with OIHW weights; TOSA's are NHWC with OHWI
// weights (depthwise: [KH, KW, C, M]; transpose: [OC, KH, KW, IC]). The input
// is wrapped in explicit transposes (docs/CONVENTIONS.md) and constant weights
// are re-laid out on the host into new constants. 1-D convolutions run as
// 2-D ones with a unit height. A dilated transposed convolution gets its
// kernel dilated with zeros; a 3-D one is one 2-D transposed convolution per
// depth tap, each result scattered to its output depths and summed.
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

// One spatial dimension of a transposed convolution: the full output is
// stride * (in - 1) + output_padding + (kernel - 1) * dilation + 1, less the
// pads (a negative pad, from an output_shape beyond the full size, adds
// rows that only the bias reaches).
struct TransposeDim {
  int64_t in, kernel, stride = 1, dilation = 1, padBegin = 0, padEnd = 0, out = 0;
};

// Reads the attributes for `spatial` dimensions (1-D, 2-D or 3-D).
llvm::Expected<llvm::SmallVector<TransposeDim>> readTransposeWindow(OpContext &op,
                                                                    int64_t spatial) {
  std::vector<int64_t> strides = op.attrInts("strides"), dilations = op.attrInts("dilations");
  std::vector<int64_t> pads = op.attrInts("pads"), outPadding = op.attrInts("output_padding");
  std::vector<int64_t> outputShape = op.attrInts("output_shape");
  std::string autoPad = op.attrString("auto_pad", "NOTSET");
  size_t r = spatial;
  // Each list, when given, has one value per spatial dimension (pads two;
  // output_shape may also lead with N and C).
  for (auto [name, values, sizes] :
       {std::tuple{"strides", &strides, std::pair<size_t, size_t>{r, r}},
        std::tuple{"dilations", &dilations, std::pair<size_t, size_t>{r, r}},
        std::tuple{"pads", &pads, std::pair<size_t, size_t>{2 * r, 2 * r}},
        std::tuple{"output_padding", &outPadding, std::pair<size_t, size_t>{r, r}},
        std::tuple{"output_shape", &outputShape, std::pair<size_t, size_t>{r, r + 2}}})
    if (!values->empty() && values->size() != sizes.first && values->size() != sizes.second)
      return op.fail(llvm::Twine(name) + " has " + llvm::Twine(values->size()) + " values; a " +
                     llvm::Twine(spatial) + "-D transposed convolution takes " +
                     llvm::Twine(sizes.first));
  llvm::SmallVector<TransposeDim> dims;
  for (size_t i = 0; i < r; ++i) {
    TransposeDim d{op.shape(0)[2 + i], op.shape(1)[2 + i]};
    d.stride = strides.empty() ? 1 : strides[i];
    d.dilation = dilations.empty() ? 1 : dilations[i];
    int64_t extra = outPadding.empty() ? 0 : outPadding[i];
    // Sizes from the model: below 2^31 each, the arithmetic below cannot
    // overflow (and Halide's extents are 32-bit anyway).
    constexpr int64_t kMax = (int64_t(1) << 31) - 1;
    if (d.stride < 1 || d.dilation < 1 || d.stride > kMax || d.dilation > kMax || d.in > kMax ||
        d.kernel > kMax || std::abs(extra) > kMax)
      return op.fail("strides and dilations must be positive, and sizes below 2^31");
    int64_t span = (d.kernel - 1) * d.dilation + 1;
    int64_t full = d.stride * (d.in - 1) + extra + span;
    if (!outputShape.empty() || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      // The pads follow from the requested output size. Which end takes the
      // odd pixel follows ONNX Runtime (the reference Kiln is tested against);
      // an output larger than the full one is padded at the end.
      int64_t target =
          !outputShape.empty() ? outputShape[outputShape.size() - r + i] : d.in * d.stride;
      int64_t total = full - target;
      d.padBegin = autoPad == "SAME_UPPER" ? total - total / 2 : total / 2;
      d.padEnd = total - d.padBegin;
      if (target < 1 || target > kMax)
        return op.fail("output_shape must be positive and below 2^31");
    } else {
      bool none = pads.empty() || autoPad == "VALID";
      d.padBegin = none ? 0 : pads[i];
      d.padEnd = none ? 0 : pads[i + r];
      if (d.padBegin < 0 || d.padEnd < 0)
        return op.fail("pads must be non-negative");
    }
    d.out = full - d.padBegin - d.padEnd;
    if (d.padBegin >= span || d.padEnd - extra >= span)
      return op.fail("pads must be smaller than the (dilated) kernel");
    // TOSA: OH = (IH - 1) * stride + out_pad_top + out_pad_bottom + KH.
    d.padEnd -= extra;
    dims.push_back(d);
  }
  return dims;
}

// Weights [O, KH, KW, I] with dilation - 1 zero rows between taps.
Value dilateKernel(OpBuilder &b, Location loc, Value w, int64_t dh, int64_t dw) {
  if (dh == 1 && dw == 1)
    return w;
  llvm::ArrayRef<int64_t> s = typeOf(w).getShape();
  Value v = reshape(b, loc, w, {s[0], s[1], 1, s[2], 1, s[3]});
  v = pad(b, loc, v, {0, 0, 0, 0, 0, dh - 1, 0, 0, 0, dw - 1, 0, 0}, 0.0);
  v = reshape(b, loc, v, {s[0], s[1] * dh, s[2] * dw, s[3]});
  return slice(b, loc, v, {0, 0, 0, 0}, {s[0], (s[1] - 1) * dh + 1, (s[2] - 1) * dw + 1, s[3]});
}

llvm::Error convertConvTranspose(OpContext &op) {
  int64_t rank = op.rank(0), spatial = rank - 2;
  if (rank < 3 || rank > 5)
    return op.fail("only 1-D, 2-D and 3-D transposed convolutions are supported");
  if (op.rank(1) != rank)
    return op.fail("weights and input ranks differ");
  llvm::ArrayRef<int64_t> xShape = op.shape(0), wShape = op.shape(1);
  int64_t n = xShape[0], c = xShape[1];
  if (op.attrInt("group", 1) != 1)
    return op.fail("grouped transposed convolutions are not supported");
  if (wShape[0] != c)
    return op.fail("weights " + shapeString(wShape) + " do not fit " + llvm::Twine(c) +
                   " input channels");
  int64_t o = wShape[1];
  auto dimsOr = readTransposeWindow(op, spatial);
  if (!dimsOr)
    return dimsOr.takeError();
  // 1-D runs with a unit height; 3-D as one 2-D transposed convolution per
  // depth tap over the depth slices, each scattered to its output depths.
  llvm::SmallVector<TransposeDim> dims = *dimsOr;
  if (spatial == 1)
    dims.insert(dims.begin(), TransposeDim{1, 1, 1, 1, 0, 0, 1});
  TransposeDim depth{1, 1, 1, 1, 0, 0, 1};
  if (spatial == 3) {
    depth = dims.front();
    dims.erase(dims.begin());
  }
  const TransposeDim &h = dims[0], &w = dims[1];
  Type element = op.elementType(0);
  auto &b = op.builder();
  Location loc = op.loc();
  llvm::Expected<Value> biasOr = biasOrZeros(op, 2, o, element);
  if (!biasOr)
    return biasOr.takeError();
  int64_t kd = depth.kernel, kh = h.kernel, kw = w.kernel;
  // [N, C, D, H, W] as [N * D, H, W, C]; weights [C, O, KD, KH, KW].
  Value x = reshape(b, loc, op.value(0), {n, c, depth.in, h.in, w.in});
  x = reshape(b, loc, transpose(b, loc, x, {0, 2, 3, 4, 1}), {n * depth.in, h.in, w.in, c});
  Weight weight = weightInput(op, 1, {c, o, kd, kh, kw});
  llvm::SmallVector<int64_t> outShape = {n * depth.in, h.out, w.out, o};
  Value zeros = splatConstant(b, loc, element, 0.0, {o});
  Value sum;
  for (int64_t z = 0; z < kd; ++z) {
    // OHWI, dilated.
    Value wz =
        relayout(op, weight, {c, o, kh, kw}, {1, 2, 3, 0}, {0, 0, z, 0, 0}, {c, o, 1, kh, kw});
    wz = dilateKernel(b, loc, wz, h.dilation, w.dilation);
    Value y = op.create<tosa::TransposeConv2DOp>(
        tensorOf(outShape, element), x, wz, spatial == 3 ? zeros : *biasOr,
        b.getDenseI64ArrayAttr({-h.padBegin, -h.padEnd, -w.padBegin, -w.padEnd}),
        b.getDenseI64ArrayAttr({h.stride, w.stride}), b.getDenseI64ArrayAttr(outShape));
    if (spatial == 3) {
      // Input depth i reaches output depth i * stride + z * dilation - padBegin.
      int64_t rest = h.out * w.out * o;
      Value v = reshape(b, loc, y, {n, depth.in, 1, rest});
      v = pad(b, loc, v, {0, 0, 0, 0, 0, depth.stride - 1, 0, 0}, 0.0);
      v = reshape(b, loc, v, {n, depth.in * depth.stride, rest});
      int64_t offset = z * depth.dilation - depth.padBegin, len = depth.in * depth.stride;
      int64_t cropBegin = std::max<int64_t>(0, -offset);
      int64_t keep = std::min(len - cropBegin, depth.out - std::max<int64_t>(0, offset));
      v = slice(b, loc, v, {0, cropBegin, 0}, {n, keep, rest});
      int64_t before = std::max<int64_t>(0, offset);
      v = pad(b, loc, v, {0, 0, before, depth.out - before - keep, 0, 0}, 0.0);
      y = v;
    }
    sum = sum ? binary<tosa::AddOp>(b, loc, sum, y) : y;
  }
  Value y;
  if (spatial == 3) {
    y = binary<tosa::AddOp>(b, loc, reshape(b, loc, sum, {n, depth.out, h.out, w.out, o}),
                            reshape(b, loc, *biasOr, {1, 1, 1, 1, o}));
    y = transpose(b, loc, y, {0, 4, 1, 2, 3});
  } else {
    y = toNCHW(b, loc, sum);
    if (spatial == 1)
      y = reshape(b, loc, y, {n, o, w.out});
  }
  op.setValue(0, y);
  return llvm::Error::success();
}

} // namespace

void registerConvOps(OpTable &table) {
  table.add("Conv", convertConv);
  table.add("ConvTranspose", convertConvTranspose);
}

} // namespace kiln::onnx_import
