//===- WindowTaps.cpp - MaxPoolWithArgmax and Dilation2D, tap by tap ------===//
//
// TOSA's pools give no argmax and have no grayscale dilation, so these two
// are written out tap by tap, as the ONNX importer writes its dilated pools
// and MaxPool's Indices (compiler/import/onnx/ops/PoolTaps.h): each window
// offset is one strided view of the input padded with -inf (a slice, a
// reshape splitting off the stride, a slice of its first element), and the
// views are combined elementwise, so each op fuses into one kernel.
//
// Both follow TF.js's cpu kernels (pool_utils.js, Dilation2D.js): taps in
// row-major order, a later tap wins only if strictly greater (so ties keep
// the first), positions outside the input never win.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Helpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The input padded for every tap and its windows, per spatial dimension.
struct Taps {
  Value padded;
  std::array<Window, 2> w;
  std::array<int64_t, 2> kernel, stride, rate;
};

llvm::Expected<Taps> padForTaps(OpContext &node, Value x, std::array<int64_t, 2> kernel,
                                std::array<int64_t, 2> stride, std::array<int64_t, 2> rate) {
  std::string padding = node.attrs().getString("padding", "");
  if (padding != "SAME" && padding != "VALID")
    return node.fail("padding '" + padding + "' is not supported (SAME or VALID)");
  Taps t{x, {}, kernel, stride, rate};
  llvm::ArrayRef<int64_t> in = typeOf(x).getShape();
  std::array<int64_t, 2> after{};
  for (int d = 0; d < 2; ++d) {
    auto w = tfWindow(node, padding, in[1 + d], kernel[d], stride[d], rate[d], 0, 0);
    if (!w)
      return w.takeError();
    t.w[d] = *w;
    // The last tap's strided view reads out * stride rows from its start.
    after[d] = std::max<int64_t>(
        (kernel[d] - 1) * rate[d] + w->out * stride[d] - in[1 + d] - w->padBefore, 0);
  }
  t.padded = pad(node.builder(), node.loc(), x,
                 {0, 0, t.w[0].padBefore, after[0], t.w[1].padBefore, after[1], 0, 0}, kNegInf);
  return t;
}

// Tap (ky, kx): padded rows ky * rate + y * stride for y < out, columns
// alike, as [N, outH, outW, C].
Value tapView(OpContext &node, const Taps &t, int64_t ky, int64_t kx) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  auto s = typeOf(t.padded).getShape();
  int64_t oh = t.w[0].out, ow = t.w[1].out, sh = t.stride[0], sw = t.stride[1];
  Value v = slice(b, loc, t.padded, {0, ky * t.rate[0], kx * t.rate[1], 0},
                  {s[0], oh * sh, ow * sw, s[3]});
  if (sh == 1 && sw == 1)
    return v;
  v = reshape(b, loc, v, {s[0], oh, sh, ow, sw, s[3]});
  v = slice(b, loc, v, {0, 0, 0, 0, 0, 0}, {s[0], oh, 1, ow, 1, s[3]});
  return reshape(b, loc, v, {s[0], oh, ow, s[3]});
}

llvm::Error requireFloatNHWC(OpContext &node) {
  if (llvm::Error err = requireNHWC(node))
    return err;
  if (node.rank(0) != 4)
    return node.fail("the input must be 4-D, not " + shapeString(node.shape(0)));
  if (node.dtype(0) != DType::F32)
    return node.fail("only float32 input is supported");
  return llvm::Error::success();
}

// MaxPoolWithArgmax (x) -> max, argmax: the flat index of each maximum,
// (y * W + x) * C + c, plus b * H * W * C with include_batch_in_index.
llvm::Error convertMaxPoolWithArgmax(OpContext &node) {
  if (llvm::Error err = requireFloatNHWC(node))
    return err;
  auto kernel = spatialAttr(node, "ksize", true);
  if (!kernel)
    return kernel.takeError();
  auto stride = spatialAttr(node, "strides", true);
  if (!stride)
    return stride.takeError();
  auto taps = padForTaps(node, node.value(0), *kernel, *stride, {1, 1});
  if (!taps)
    return taps.takeError();
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  llvm::ArrayRef<int64_t> in = node.shape(0);
  int64_t n = in[0], h = in[1], w = in[2], c = in[3], oh = taps->w[0].out, ow = taps->w[1].out;
  bool withBatch = node.attrs().getBool("include_batch_in_index", false);
  Type i32 = b.getI32Type();
  Value best = splatConstant(b, loc, b.getF32Type(), kNegInf, {n, oh, ow, c});
  Value arg = splatConstant(b, loc, i32, -1, {n, oh, ow, c});
  std::vector<int64_t> channels(c), batches(n);
  for (int64_t k = 0; k < c; ++k)
    channels[k] = k;
  for (int64_t k = 0; k < n; ++k)
    batches[k] = withBatch ? k * h * w * c : 0;
  Value channel = i32Constant(node, channels, {1, 1, 1, c});
  Value batch = i32Constant(node, batches, {n, 1, 1, 1});
  for (int64_t ky = 0; ky < (*kernel)[0]; ++ky)
    for (int64_t kx = 0; kx < (*kernel)[1]; ++kx) {
      // The input position of this tap for each output row and column.
      std::vector<int64_t> rows(oh), cols(ow);
      for (int64_t y = 0; y < oh; ++y)
        rows[y] = (y * (*stride)[0] + ky - taps->w[0].padBefore) * w * c;
      for (int64_t x = 0; x < ow; ++x)
        cols[x] = (x * (*stride)[1] + kx - taps->w[1].padBefore) * c;
      Value index = binary<tosa::AddOp>(b, loc, i32Constant(node, rows, {1, oh, 1, 1}),
                                        i32Constant(node, cols, {1, 1, ow, 1}));
      index = binary<tosa::AddOp>(b, loc, binary<tosa::AddOp>(b, loc, index, channel), batch);
      Value v = tapView(node, *taps, ky, kx);
      Value better = binary<tosa::GreaterOp>(b, loc, v, best, b.getI1Type());
      best = select(b, loc, better, v, best);
      arg = select(b, loc, better, index, arg);
    }
  node.setValue(0, best);
  node.setValue(1, arg);
  return llvm::Error::success();
}

// Dilation2D (x [N, H, W, C], filter [KH, KW, C]): the max over taps of
// x + filter (grayscale morphological dilation).
llvm::Error convertDilation2D(OpContext &node) {
  if (llvm::Error err = requireFloatNHWC(node))
    return err;
  llvm::ArrayRef<int64_t> filter = node.shape(1);
  if (filter.size() != 3 || filter[2] != node.shape(0)[3] || node.dtype(1) != DType::F32)
    return node.fail("the filter must be float32 [KH, KW, " + llvm::Twine(node.shape(0)[3]) +
                     "], not " + shapeString(filter));
  auto stride = spatialAttr(node, "strides", true);
  if (!stride)
    return stride.takeError();
  auto rate = spatialAttr(node, "rates", false);
  if (!rate)
    return rate.takeError();
  auto taps = padForTaps(node, node.value(0), {filter[0], filter[1]}, *stride, *rate);
  if (!taps)
    return taps.takeError();
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value weights = node.value(1), out;
  for (int64_t ky = 0; ky < filter[0]; ++ky)
    for (int64_t kx = 0; kx < filter[1]; ++kx) {
      Value f = reshape(b, loc, slice(b, loc, weights, {ky, kx, 0}, {1, 1, filter[2]}),
                        {1, 1, 1, filter[2]});
      Value v = binary<tosa::AddOp>(b, loc, tapView(node, *taps, ky, kx), f);
      out = out ? binary<tosa::MaximumOp>(b, loc, out, v) : v;
    }
  node.setValue(0, out);
  return llvm::Error::success();
}

} // namespace

void registerWindowTapOps(OpTable &table) {
  table.add("MaxPoolWithArgmax", convertMaxPoolWithArgmax, 1, 1);
  table.add("Dilation2D", convertDilation2D, 2, 2);
}

} // namespace kiln::tfjs_import
