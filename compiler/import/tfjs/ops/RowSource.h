//===- RowSource.h - rows computed from a bounded value ---------*- C++ -*-===//
//
// Values computed row by row from a bounded value (docs/BOUNDED.md) have
// its count as their length: their Shape and Size are run-time values as
// the bounded value's are, and a Slice that can only keep every row is the
// value itself.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_ROWSOURCE_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_ROWSOURCE_H

#include "compiler/import/tfjs/OpContext.h"

#include <optional>

namespace kiln::tfjs_import {

/// The bounded value that `v` is, or is computed from row by row: through
/// elementwise ops, casts, slices that keep the bounded dimension whole,
/// concatenations along other dimensions and reshapes that keep the
/// dimensions up to it, every op's extent along it the source's bound.
/// Several sources must have one count (the first is returned). Row i of
/// `v` then depends only on row i of its sources, so `v`'s length is their
/// count (handtrack scales the sorted boxes before taking their Shape).
std::optional<mlir::Value> rowSource(mlir::Value v);

/// Shape and Size of a value with a rowSource: int32 [rank] (its count at
/// the bounded dimension), or the int32 scalar count * the other dimensions.
mlir::Value shapeOfBounded(OpContext &node, mlir::Value bounded);
mlir::Value sizeOfBounded(OpContext &node, mlir::Value bounded);

/// Slice of a bounded value from 0 by run-time sizes that can only be
/// constants, each -1 or at least the extent (the bounded dimension's
/// bound): the value itself (the Object Detection API's PadOrClipBoxList
/// slices by `Select(n - 100 > 0, 100, -1)` with n at most 100). A size
/// past the run-time count, where TF would fail, keeps every row.
llvm::Error sliceKeepingRows(OpContext &node);

} // namespace kiln::tfjs_import

#endif
