//===- Layout.h - NCHW ops through their NHWC converters ----------*- C++ -*-===//
//
// TF's conv and pool ops take `data_format` NCHW as well as NHWC; Kiln's
// kernels (and TOSA's conv and pool) are NHWC. An NCHW node is converted as
// the NHWC node it is equivalent to, between two transposes: the input
// goes to NHWC, the spatial attributes (strides, dilations, ksize,
// explicit_paddings) are permuted, the op's own converter runs, and output
// 0 goes back to NCHW. The transposes are data movement the graph passes
// fold into neighbouring kernels where they can.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_LAYOUT_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_LAYOUT_H

#include "compiler/import/tfjs/OpContext.h"

namespace kiln::tfjs_import {

/// Whether the node's `data_format` is NCHW; any format other than NHWC and
/// NCHW is an error naming it.
llvm::Expected<bool> isNCHW(OpContext &node);

/// Converts an NCHW node with `convert` as its NHWC equivalent (see the
/// file comment). Input 0 must be 4-D; only output 0 is transposed back
/// (the other outputs of the ops that use this are per channel or unused).
llvm::Error convertThroughNHWC(OpContext &node,
                               llvm::function_ref<llvm::Error(OpContext &)> convert,
                               int numOutputs = 1);

} // namespace kiln::tfjs_import

#endif
