//===- Helpers.h - pieces several TF.js op converters share -------*- C++ -*-===//
//
// TF's window arithmetic (SAME, VALID and EXPLICIT padding), activations
// (alone and fused into _FusedConv2D, FusedDepthwiseConv2dNative and
// _FusedMatMul), and reading `fused_ops`.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_HELPERS_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_HELPERS_H

#include "compiler/import/tfjs/OpContext.h"

namespace kiln::tfjs_import {

/// One spatial dimension of a conv or pool window, as TOSA takes it.
struct Window {
  int64_t padBefore = 0, padAfter = 0;
  int64_t out = 0;
  /// Input elements to drop from the end: TOSA wants the last window to end
  /// exactly at the padded edge, TF floors. Never read by any output.
  int64_t crop = 0;
};

/// TF's output size and padding for `padding` ("SAME", "VALID" or
/// "EXPLICIT" with the given pads). SAME puts the odd pixel at the end:
/// before = total / 2.
llvm::Expected<Window> tfWindow(OpContext &node, llvm::StringRef padding, int64_t in,
                                int64_t kernel, int64_t stride, int64_t dilation,
                                int64_t explicitBefore, int64_t explicitAfter);

/// The spatial windows (H, W) of an NHWC conv or pool from the node's
/// `padding` and `explicit_paddings` attributes; crops `input` if needed.
llvm::Expected<std::array<Window, 2>> spatialWindows(OpContext &node, mlir::Value &input,
                                                     llvm::ArrayRef<int64_t> kernel,
                                                     llvm::ArrayRef<int64_t> stride,
                                                     llvm::ArrayRef<int64_t> dilation);

/// Reads a 4-element NHWC attribute (strides, dilations, ksize) whose batch
/// and channel entries must be 1; returns the (H, W) pair.
llvm::Expected<std::array<int64_t, 2>> spatialAttr(OpContext &node, llvm::StringRef name,
                                                   bool required);
/// Fails unless `data_format` is absent or NHWC.
llvm::Error requireNHWC(OpContext &node);

/// An activation by TF's op name ("Relu", "Relu6", "Elu", "LeakyRelu",
/// "Sigmoid", "Tanh", "Prelu"); `alpha` is Prelu's slope tensor.
llvm::Expected<mlir::Value> applyActivation(OpContext &node, llvm::StringRef name, mlir::Value x,
                                            mlir::Value alpha, float leakyAlpha);

/// What a fused op's `fused_ops` asks for after the main op.
struct FusedOps {
  int biasInput = -1;  // input index of the bias, if BiasAdd is fused
  int alphaInput = -1; // input index of Prelu's alpha
  std::string activation;
};
/// Reads `fused_ops` and `num_args`; the extra args start at input
/// `firstArg`.
llvm::Expected<FusedOps> readFusedOps(OpContext &node, int firstArg);
/// Bias (a 1-D input of `channels`, or zeros) and activation for a fused op.
llvm::Expected<mlir::Value> fusedBias(OpContext &node, const FusedOps &fused, int64_t channels);
llvm::Expected<mlir::Value> fusedActivation(OpContext &node, const FusedOps &fused, mlir::Value x);

} // namespace kiln::tfjs_import

#endif
