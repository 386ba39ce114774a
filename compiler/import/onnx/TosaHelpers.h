//===- TosaHelpers.h - TOSA building blocks for the ONNX converters -*- C++ -*-===//
//
// The shared blocks (compiler/import/common/TosaBuilders.h) plus what only
// ONNX needs: its NCHW tensors around TOSA's NHWC conv and pool ops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_TOSAHELPERS_H
#define KILN_COMPILER_IMPORT_ONNX_TOSAHELPERS_H

#include "compiler/import/common/TosaBuilders.h"

namespace kiln::onnx_import {

// Converters build with the shared blocks by their plain names.
using namespace kiln::import;

/// NCHW <-> NHWC permutations, as docs/CONVENTIONS.md fixes them.
constexpr int64_t kToNHWC[] = {0, 2, 3, 1};
constexpr int64_t kToNCHW[] = {0, 3, 1, 2};

inline mlir::Value toNHWC(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v) {
  return transpose(b, loc, v, kToNHWC);
}
inline mlir::Value toNCHW(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v) {
  return transpose(b, loc, v, kToNCHW);
}

} // namespace kiln::onnx_import

#endif
