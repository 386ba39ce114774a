//===- Indexing.h - flat offsets for the gather and scatter ops ---*- C++ -*-===//
//
// GatherElements/ScatterElements and GatherND/ScatterND address the data
// through index tensors. Each converter views the data as rows and turns the
// indices into int32 row numbers (negative indices counted from the end), so
// that one tosa.gather, or one compare with the row numbers, does the rest.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPS_INDEXING_H
#define KILN_COMPILER_IMPORT_ONNX_OPS_INDEXING_H

#include "mlir/IR/Builders.h"
#include "llvm/Support/Error.h"

namespace kiln::onnx_import {

class OpContext;

/// GatherElements/ScatterElements: each dimension of input `indices` but
/// `axis` addresses the same dimension of input `data`, so it may be at most
/// as large (indices outgrowing the data made elementOffsets build huge
/// constants: found by the onnx fuzz target).
llvm::Error checkIndicesWithinData(OpContext &op, int data, int indices, int64_t axis);

/// The flat offset into data of shape `dataShape` of each element of
/// `indices` (same rank) read along `axis`: int32, with indices' shape.
mlir::Value elementOffsets(mlir::OpBuilder &b, mlir::Location loc, mlir::Value indices,
                           llvm::ArrayRef<int64_t> dataShape, int64_t axis);

/// GatherND/ScatterND: `indices` [..., k] addresses the k dimensions
/// `dims` (the data's after the batch dimensions); returns the row number of
/// each index tuple, int32 with indices' shape minus the last dimension.
mlir::Value tupleOffsets(mlir::OpBuilder &b, mlir::Location loc, mlir::Value indices,
                         llvm::ArrayRef<int64_t> dims);

} // namespace kiln::onnx_import

#endif
