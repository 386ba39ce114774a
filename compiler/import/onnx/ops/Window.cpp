//===- Window.cpp - sliding-window geometry of Conv and pooling -----------===//
#include "compiler/import/onnx/ops/Window.h"

#include "compiler/import/onnx/TosaHelpers.h"

#include <algorithm>

namespace kiln::onnx_import {

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

static constexpr int64_t kMaxWindowSize = int64_t(1) << 61;

llvm::Expected<llvm::SmallVector<WindowDim>> readWindow(OpContext &op, llvm::ArrayRef<int64_t> in,
                                                        llvm::ArrayRef<int64_t> kernel,
                                                        bool ceilMode) {
  size_t n = in.size();
  std::vector<int64_t> strides = op.attrInts("strides");
  std::vector<int64_t> dilations = op.attrInts("dilations");
  std::vector<int64_t> pads = op.attrInts("pads");
  std::string autoPad = op.attrString("auto_pad", "NOTSET");
  if ((!strides.empty() && strides.size() != n) || (!dilations.empty() && dilations.size() != n) ||
      (!pads.empty() && pads.size() != 2 * n))
    return op.fail("strides, dilations or pads do not match the " + llvm::Twine(n) +
                   " spatial dimensions");
  llvm::SmallVector<WindowDim> dims(n);
  for (size_t i = 0; i < n; ++i) {
    WindowDim &d = dims[i];
    d.in = in[i];
    d.kernel = kernel[i];
    d.stride = strides.empty() ? 1 : strides[i];
    d.dilation = dilations.empty() ? 1 : dilations[i];
    if (d.stride < 1 || d.dilation < 1 || d.kernel < 1)
      return op.fail("kernel sizes, strides and dilations must be positive");
    // Sizes come from the model and can be anything int64 holds; below 2^61
    // each, the window arithmetic here (sums of three) cannot overflow.
    int64_t span;
    int64_t largest =
        std::max({d.in, d.stride, pads.empty() ? 0 : pads[i], pads.empty() ? 0 : pads[i + n]});
    if (__builtin_mul_overflow(d.kernel - 1, d.dilation, &span) || span >= kMaxWindowSize ||
        largest >= kMaxWindowSize)
      return op.fail("window sizes (input " + llvm::Twine(d.in) + ", kernel " +
                     llvm::Twine(d.kernel) + ", dilation " + llvm::Twine(d.dilation) + ", stride " +
                     llvm::Twine(d.stride) +
                     ", pads) of 2^61 or more are not "
                     "supported");
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      d.out = ceilDiv(d.in, d.stride);
      int64_t total = std::max<int64_t>(0, (d.out - 1) * d.stride + d.span() - d.in);
      // The odd pixel goes at the end for SAME_UPPER, at the start for LOWER.
      d.padBegin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      d.padEnd = total - d.padBegin;
      continue;
    }
    if (autoPad == "VALID") {
      d.padBegin = d.padEnd = 0;
    } else if (autoPad == "NOTSET") {
      d.padBegin = pads.empty() ? 0 : pads[i];
      d.padEnd = pads.empty() ? 0 : pads[i + n];
      if (d.padBegin < 0 || d.padEnd < 0)
        return op.fail("negative pads are not supported");
    } else {
      return op.fail("unknown auto_pad '" + autoPad + "'");
    }
    int64_t room = d.in + d.padBegin + d.padEnd - d.span();
    if (room < 0)
      return op.fail("the window (" + llvm::Twine(d.span()) +
                     ") is larger than the padded input (" +
                     llvm::Twine(d.in + d.padBegin + d.padEnd) + ")");
    d.out = (ceilMode ? ceilDiv(room, d.stride) : room / d.stride) + 1;
    // ONNX Runtime (and ONNX since 1.16) drop a last window that starts in
    // the end padding; libonnx 1.12's shape inference keeps it. Rather than
    // pick one and disagree with the other, refuse the case.
    if (ceilMode && (d.out - 1) * d.stride >= d.in + d.padBegin)
      return op.fail("with ceil_mode the last window starts past the input (in the end "
                     "padding); ONNX Runtime drops it, libonnx 1.12's shape inference keeps it, "
                     "so Kiln does not import this case");
  }
  return dims;
}

TosaWindowDim fitToTosa(const WindowDim &d) {
  // The end padding that makes the last window end exactly at the edge.
  int64_t end = (d.out - 1) * d.stride + d.span() - d.in - d.padBegin;
  if (end >= 0)
    return {d.padBegin, end, 0};
  return {d.padBegin, 0, -end};
}

mlir::Value cropForWindow(OpContext &op, mlir::Value x, llvm::ArrayRef<TosaWindowDim> dims) {
  llvm::SmallVector<int64_t> size(typeOf(x).getShape());
  for (size_t i = 0; i < dims.size(); ++i)
    size[1 + i] -= dims[i].cropEnd;
  llvm::SmallVector<int64_t> start(size.size(), 0);
  return slice(op.builder(), op.loc(), x, start, size);
}

} // namespace kiln::onnx_import
