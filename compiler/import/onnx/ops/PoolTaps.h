//===- PoolTaps.h - pooling as a sum or max over window taps ------*- C++ -*-===//
//
// TOSA pools are 2-D, undilated and give no argmax. What they cannot do
// (3-D pools, dilated windows, MaxPool's Indices output) is written out tap
// by tap: each kernel offset is one strided view of the padded input (a
// slice, a reshape splitting off the stride, a slice of its first element),
// and the views are combined elementwise, so the whole pool fuses into one
// kernel. K taps cost K reads per output element, as a direct loop would.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPS_POOLTAPS_H
#define KILN_COMPILER_IMPORT_ONNX_OPS_POOLTAPS_H

#include "compiler/import/onnx/OpContext.h"

namespace kiln::onnx_import {

/// MaxPool (isMax) or AveragePool over any number of spatial dimensions, with
/// dilations, ceil_mode, count_include_pad and MaxPool's Indices output.
llvm::Error convertPoolByTaps(OpContext &op, bool isMax);

} // namespace kiln::onnx_import

#endif
