//===- Window.h - sliding-window geometry of Conv and pooling -----*- C++ -*-===//
//
// Conv, ConvTranspose and the pools share ONNX's attributes for windows:
// kernel_shape, strides, dilations, pads and auto_pad (NOTSET, SAME_UPPER,
// SAME_LOWER, VALID), and the pools' ceil_mode. TOSA states output sizes
// exactly: (in - 1 + pad_begin + pad_end - (kernel - 1) * dilation) must be a
// multiple of the stride. fitToTosa trims end padding no window reaches (or
// crops input rows no window reads) and adds the end padding ceil_mode needs.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPS_WINDOW_H
#define KILN_COMPILER_IMPORT_ONNX_OPS_WINDOW_H

#include "compiler/import/onnx/OpContext.h"
#include "llvm/ADT/SmallVector.h"

namespace kiln::onnx_import {

struct WindowDim {
  int64_t in = 1, kernel = 1, stride = 1, dilation = 1;
  int64_t padBegin = 0, padEnd = 0; // as ONNX gives them
  int64_t out = 1;
  int64_t span() const { return (kernel - 1) * dilation + 1; }
};

/// Reads the window attributes of `op` for spatial sizes `in` and kernel
/// `kernel` (from the weights, or kernel_shape for pools).
llvm::Expected<llvm::SmallVector<WindowDim>> readWindow(OpContext &op, llvm::ArrayRef<int64_t> in,
                                                        llvm::ArrayRef<int64_t> kernel,
                                                        bool ceilMode);

/// TOSA's view of one dimension: padding, plus input rows to crop at the end.
struct TosaWindowDim {
  int64_t padBegin, padEnd, cropEnd;
};
TosaWindowDim fitToTosa(const WindowDim &dim);

/// Crops the trailing input rows fitToTosa asks for; `x` is NHWC.
mlir::Value cropForWindow(OpContext &op, mlir::Value x, llvm::ArrayRef<TosaWindowDim> dims);

} // namespace kiln::onnx_import

#endif
