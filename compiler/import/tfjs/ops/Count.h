//===- Count.h - a bounded value's run-time count in shape arithmetic -*- C++ -*-===//
//
// Detectors read the length of a selection back and pad it to a fixed
// length: faceboxes `tf.pad(boxes, [[0, max - tf.shape(boxes)[0]], [0, 0]])`,
// the Object Detection API `concat([selected, zeros(max - shape(selected)[0])])`.
// A bounded value's (docs/BOUNDED.md) Shape is therefore a run-time tensor:
// its count, cast to int32, at the bounded dimension. Whatever the graph
// computes from it runs as ordinary TOSA (a count written to an output, a
// `range < count` mask); a converter that needs the value at import reads it
// back from the IR as `constant + scale * count` (countExprs), and a padding
// or concatenation whose length then adds up to a static one becomes one
// select that keeps the bounded rows and fills the rest (fillPastCount).
// Everything else that needs such a value at import stays an error naming it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_COUNT_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_COUNT_H

#include "compiler/import/tfjs/OpContext.h"

#include <optional>
#include <vector>

namespace kiln::tfjs_import {

/// One integer element as `constant + scale * count`, where `count` is the
/// run-time count (tensor<1xi64>, result 1 of a kiln.compact or kiln.nms)
/// that it was computed from, followed back through compactions by
/// `i < x` (a gather's followCount, a fill of run-time length) to the first.
struct CountExpr {
  int64_t constant = 0;
  int64_t scale = 0;
  mlir::Value count; // null when scale == 0
  bool isConstant() const { return scale == 0; }
};

/// The elements of a small integer tensor (at most 64) as CountExprs, read
/// from the ops that compute it (constants, casts, reshapes, slices,
/// concatenations, additions, subtractions, negations, products with a
/// constant); nullopt if any element is something else.
std::optional<std::vector<CountExpr>> countExprs(mlir::Value v);

/// The largest value a run-time integer scalar computed from counts can
/// take: an affine form's (countExprs) over counts 0..bound, through
/// Minimum (the smaller of the operands' bounds, one may be unbounded),
/// Maximum and Select (the larger of both), sums, differences with a
/// constant, casts and reshapes; nullopt
/// if `v` is not such a length (docs/BOUNDED.md, lengths), or if its bound
/// leaves int64 (a hostile model's constants): then `overflowAt`, when
/// given, names the node where it did.
std::optional<int64_t> lengthBound(mlir::Value v, std::string *overflowAt = nullptr);

/// Range(start, limit, delta) whose limit is a run-time length (lengthBound)
/// and whose start and delta are known integers, delta > 0: the values
/// start + i * delta below the bound, compacted by `value < limit`, so a
/// bounded value whose count is the range's length.
llvm::Error rangeOfLength(OpContext &node);

/// Slice of a bounded value from 0 by run-time sizes that can only be
/// constants, each -1 or at least the extent (the bounded dimension's
/// bound): the value itself (the Object Detection API's PadOrClipBoxList
/// slices by `Select(n - 100 > 0, 100, -1)` with n at most 100). A size
/// past the run-time count, where TF would fail, keeps every row.
llvm::Error sliceKeepingRows(OpContext &node);

/// The node that `v`'s run-time count comes from, if `v` is computed from a
/// count: for errors.
std::optional<std::string> countSource(mlir::Value v);

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

/// The bounded values that `v` is computed from (not through counts or
/// fillPast* selects, whose results are static).
llvm::SmallVector<mlir::Value> boundedSources(mlir::Value v);

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
