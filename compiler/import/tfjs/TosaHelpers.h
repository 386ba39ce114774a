//===- TosaHelpers.h - TOSA building blocks for the TF.js converters -*- C++ -*-===//
//
// The shared blocks (compiler/import/common/TosaBuilders.h) plus i32
// constants made through the importer, so that large index tensors become
// blobs like weights do.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_TOSAHELPERS_H
#define KILN_COMPILER_IMPORT_TFJS_TOSAHELPERS_H

#include "compiler/import/common/TosaBuilders.h"
#include "compiler/import/tfjs/OpContext.h"

namespace kiln::tfjs_import {

// Converters build with the shared blocks by their plain names.
using namespace kiln::import;

/// An i32 constant of `shape` (indices, which may be large).
mlir::Value i32Constant(OpContext &node, llvm::ArrayRef<int64_t> values,
                        llvm::ArrayRef<int64_t> shape);

} // namespace kiln::tfjs_import

#endif
