//===- Bounded.h - helpers shared by the bounded-output ops -------*- C++ -*-===//
//
// Compress and Unique (docs/BOUNDED.md) read their input the same way: along
// the `axis` attribute when it is given, else flattened to one dimension.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPS_BOUNDED_H
#define KILN_COMPILER_IMPORT_ONNX_OPS_BOUNDED_H

#include "mlir/IR/Value.h"
#include "llvm/Support/Error.h"

namespace kiln::onnx_import {

class OpContext;

/// Input 0 of `op` along its `axis` attribute (normalised; an error for a
/// scalar or an axis out of range), or flattened to 1-D with axis 0 when the
/// attribute is absent. Sets `input` to the value to slice.
llvm::Expected<int64_t> axisOrFlattened(OpContext &op, mlir::Value &input);

} // namespace kiln::onnx_import

#endif
