//===- FillPast.h - the rows past a run-time count, filled ------*- C++ -*-===//
//
// A bounded value padded or concatenated to a static length (faceboxes'
// tf.pad(boxes, [[0, max - shape[0]], [0, 0]]), the Object Detection API's
// concat([selected, zeros(max - shape(selected)[0])])) is one select that
// keeps the rows below the count and fills the rest; a reduction along the
// bounded dimension reads its rows so filled (docs/BOUNDED.md).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_FILLPAST_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_FILLPAST_H

#include "compiler/import/tfjs/OpContext.h"

namespace kiln::tfjs_import {

/// `rows` with the rows along `axis` from `length` (a run-time int tensor of
/// one element) on replaced by `fill`: one tosa.select, marked
/// kiln.follows_count since it reads only the rows below the length.
mlir::Value fillPastLength(OpContext &node, mlir::Value rows, int64_t axis, mlir::Value length,
                           double fill);

/// `bounded` with `length` rows along its bounded dimension: its rows below
/// the count, `fill` after (one tosa.select marked kiln.follows_count, the
/// buffer sliced or padded to `length` first). The result is static.
mlir::Value fillPastCount(OpContext &node, mlir::Value bounded, int64_t length, double fill);

/// Fill with dims computed from a count (`zeros(max - count)`): a bounded
/// value, the fill compacted by `i < length`, so that a consumer other than
/// a concatenation that restores a static length is an error.
llvm::Error fillOfCount(OpContext &node, mlir::Value dims, int valueInput);

/// ConcatV2 of inputs [first, first + count) along `axis` where one is
/// bounded: static inputs, the bounded one, then fills of run-time length
/// that add up to a static length.
llvm::Error concatBounded(OpContext &node, int first, int count, int64_t axis);

/// Pad (PadV2) of a bounded input by paddings computed from its count, that
/// give a static length.
llvm::Error padBounded(OpContext &node, double padValue);

} // namespace kiln::tfjs_import

#endif
