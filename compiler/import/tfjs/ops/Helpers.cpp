//===- Helpers.cpp - pieces several TF.js op converters share -------------===//
#include "compiler/import/tfjs/ops/Helpers.h"

#include "compiler/import/tfjs/TosaHelpers.h"

#include <limits>

using namespace mlir;

namespace kiln::tfjs_import {

llvm::Expected<Window> tfWindow(OpContext &node, llvm::StringRef padding, int64_t in,
                                int64_t kernel, int64_t stride, int64_t dilation,
                                int64_t explicitBefore, int64_t explicitAfter) {
  if (kernel < 1 || stride < 1 || dilation < 1)
    return node.fail("window sizes, strides and dilations must be positive");
  int64_t effective = (kernel - 1) * dilation + 1;
  Window w;
  if (padding == "SAME") {
    w.out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>((w.out - 1) * stride + effective - in, 0);
    w.padBefore = total / 2;
    w.padAfter = total - w.padBefore;
  } else if (padding == "VALID" || padding == "EXPLICIT") {
    if (padding == "EXPLICIT") {
      if (explicitBefore < 0 || explicitAfter < 0)
        return node.fail("explicit paddings must not be negative");
      w.padBefore = explicitBefore;
      w.padAfter = explicitAfter;
    }
    int64_t span = in + w.padBefore + w.padAfter - effective;
    if (span < 0)
      return node.fail("the window (" + llvm::Twine(effective) +
                       ") is larger than the padded input (" +
                       llvm::Twine(in + w.padBefore + w.padAfter) + ")");
    w.out = span / stride + 1;
  } else {
    return node.fail("unknown padding '" + padding + "' (expected SAME, VALID or EXPLICIT)");
  }
  // Trim what no window reads, so that TOSA's exact-division rule holds.
  int64_t extra = (in + w.padBefore + w.padAfter - effective) % stride;
  w.padAfter -= extra;
  if (w.padAfter < 0) {
    w.crop = -w.padAfter;
    w.padAfter = 0;
  }
  return w;
}

llvm::Expected<std::array<int64_t, 2>> spatialAttr(OpContext &node, llvm::StringRef name,
                                                   bool required) {
  std::vector<int64_t> v = node.attrs().getInts(name);
  if (v.empty() && !required)
    return std::array<int64_t, 2>{1, 1};
  if (v.size() != 4)
    return node.fail("attribute '" + name + "' must have 4 entries (NHWC), not " +
                     llvm::Twine(v.size()));
  if (v[0] != 1 || v[3] != 1)
    return node.fail("attribute '" + name + "' must be 1 on the batch and channel dimensions");
  return std::array<int64_t, 2>{v[1], v[2]};
}

llvm::Error requireNHWC(OpContext &node) {
  std::string format = node.attrs().getString("data_format", "NHWC");
  if (format != "NHWC")
    return node.fail("data_format " + format + " is not supported (TF.js models are NHWC)");
  return llvm::Error::success();
}

llvm::Expected<std::array<Window, 2>> spatialWindows(OpContext &node, Value &input,
                                                     llvm::ArrayRef<int64_t> kernel,
                                                     llvm::ArrayRef<int64_t> stride,
                                                     llvm::ArrayRef<int64_t> dilation) {
  std::string padding = node.attrs().getString("padding", "");
  std::vector<int64_t> explicitPads = node.attrs().getInts("explicit_paddings");
  if (padding == "EXPLICIT" && explicitPads.size() != 8)
    return node.fail("EXPLICIT padding needs 8 explicit_paddings, not " +
                     llvm::Twine(explicitPads.size()));
  if (padding == "EXPLICIT" &&
      (explicitPads[0] || explicitPads[1] || explicitPads[6] || explicitPads[7]))
    return node.fail("explicit padding of the batch or channel dimension is not supported");
  auto shape = typeOf(input).getShape();
  std::array<Window, 2> windows;
  for (int d = 0; d < 2; ++d) {
    int64_t before = padding == "EXPLICIT" ? explicitPads[2 + 2 * d] : 0;
    int64_t after = padding == "EXPLICIT" ? explicitPads[3 + 2 * d] : 0;
    auto w =
        tfWindow(node, padding, shape[1 + d], kernel[d], stride[d], dilation[d], before, after);
    if (!w)
      return w.takeError();
    windows[d] = *w;
  }
  if (windows[0].crop || windows[1].crop) {
    llvm::SmallVector<int64_t> size(shape);
    size[1] -= windows[0].crop;
    size[2] -= windows[1].crop;
    input = slice(node.builder(), node.loc(), input, {0, 0, 0, 0}, size);
  }
  return windows;
}

llvm::Expected<Value> applyActivation(OpContext &node, llvm::StringRef name, Value x, Value alpha,
                                      float leakyAlpha) {
  Type i1 = node.builder().getI1Type();
  if (name == "Relu")
    return clamp(node.builder(), node.loc(), x, 0, std::numeric_limits<double>::infinity());
  if (name == "Relu6")
    return clamp(node.builder(), node.loc(), x, 0, 6);
  if (name == "Sigmoid")
    return unary<tosa::SigmoidOp>(node.builder(), node.loc(), x);
  if (name == "Tanh")
    return unary<tosa::TanhOp>(node.builder(), node.loc(), x);
  if (name == "Elu") { // x > 0 ? x : exp(x) - 1
    Value expm1 = binary<tosa::SubOp>(node.builder(), node.loc(),
                                      unary<tosa::ExpOp>(node.builder(), node.loc(), x),
                                      scalarLike(node.builder(), node.loc(), x, 1));
    Value positive = binary<tosa::GreaterOp>(node.builder(), node.loc(), x,
                                             scalarLike(node.builder(), node.loc(), x, 0), i1);
    return select(node.builder(), node.loc(), positive, x, expm1);
  }
  if (name == "LeakyRelu") { // x > 0 ? x : alpha * x
    Value positive = binary<tosa::GreaterOp>(node.builder(), node.loc(), x,
                                             scalarLike(node.builder(), node.loc(), x, 0), i1);
    return select(
        node.builder(), node.loc(), positive, x,
        mul(node.builder(), node.loc(), x, scalarLike(node.builder(), node.loc(), x, leakyAlpha)));
  }
  if (name == "Prelu") { // x < 0 ? alpha * x : x, alpha broadcast against x
    if (!alpha)
      return node.fail("Prelu needs an alpha input");
    auto shape = broadcastShapes(typeOf(x).getShape(), typeOf(alpha).getShape());
    if (!shape)
      return node.fail("Prelu alpha: " + llvm::toString(shape.takeError()));
    Value nonNegative = binary<tosa::GreaterEqualOp>(
        node.builder(), node.loc(), x, scalarLike(node.builder(), node.loc(), x, 0), i1);
    return select(node.builder(), node.loc(), nonNegative, x,
                  mul(node.builder(), node.loc(), x, alpha));
  }
  return node.fail("activation '" + name + "' is not supported");
}

llvm::Expected<FusedOps> readFusedOps(OpContext &node, int firstArg) {
  std::vector<std::string> ops = node.attrs().getStrings("fused_ops");
  int numArgs = node.attrs().getInt("num_args", node.numInputs() - firstArg);
  FusedOps fused;
  size_t next = 0;
  int arg = firstArg;
  if (next < ops.size() && ops[next] == "BiasAdd") {
    fused.biasInput = arg++;
    ++next;
  } else if (next < ops.size() && ops[next].rfind("FusedBatchNorm", 0) == 0) {
    return node.fail("fused " + ops[next] + " is not supported (TF.js does not run it either)");
  }
  if (next < ops.size()) {
    fused.activation = ops[next++];
    if (fused.activation == "Prelu")
      fused.alphaInput = arg++;
  }
  if (next < ops.size())
    return node.fail("fused_ops has " + llvm::Twine(ops.size()) +
                     " entries; Kiln takes BiasAdd and one activation");
  if (arg - firstArg != numArgs || arg > node.numInputs())
    return node.fail("fused_ops needs " + llvm::Twine(arg - firstArg) +
                     " extra arguments but num_args is " + llvm::Twine(numArgs) +
                     " and there are " + llvm::Twine(node.numInputs() - firstArg));
  return fused;
}

llvm::Expected<Value> fusedBias(OpContext &node, const FusedOps &fused, int64_t channels) {
  Type f32 = node.builder().getF32Type();
  if (fused.biasInput < 0)
    return splatConstant(node.builder(), node.loc(), f32, 0, {channels});
  int i = fused.biasInput;
  if (numElements(node.shape(i)) == 1 && channels != 1) {
    if (const Literal *h = node.literal(i))
      return splatConstant(node.builder(), node.loc(), f32, h->at(0), {channels});
  }
  if (numElements(node.shape(i)) != channels)
    return node.fail("the bias has shape " + shapeString(node.shape(i)) + ", expected [" +
                     llvm::Twine(channels) + "]");
  return reshape(node.builder(), node.loc(), node.value(i), {channels});
}

llvm::Expected<Value> fusedActivation(OpContext &node, const FusedOps &fused, Value x) {
  if (fused.activation.empty())
    return x;
  Value alpha;
  if (fused.alphaInput >= 0)
    alpha = node.valueWithRank(fused.alphaInput, typeOf(x).getRank());
  float leakyAlpha = node.attrs().getFloat("leakyrelu_alpha", 0.2f);
  return applyActivation(node, fused.activation, x, alpha, leakyAlpha);
}

} // namespace kiln::tfjs_import
