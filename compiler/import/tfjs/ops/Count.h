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
// select that keeps the bounded rows and fills the rest (FillPast.h).
// Everything else that needs such a value at import stays an error naming it.
// Lengths with a static bound (Length.h) and rows computed from a bounded
// value (RowSource.h) build on these expressions.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_COUNT_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_COUNT_H

#include "compiler/import/tfjs/OpContext.h"

#include <optional>
#include <string>
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

/// Shape arithmetic is a few elements; a larger tensor is data, not a shape.
constexpr int64_t kMaxExprElements = 64;

/// The elements of a small integer tensor (at most 64) as CountExprs, read
/// from the ops that compute it (constants, casts, reshapes, slices,
/// concatenations, additions, subtractions, negations, products with a
/// constant); nullopt if any element is something else, or if the
/// arithmetic leaves int64 (a hostile model's constants): then
/// `overflowAt`, when given, names the node where it did.
std::optional<std::vector<CountExpr>> countExprs(mlir::Value v, std::string *overflowAt = nullptr);

/// a + sign * b; nullopt for two different counts or an int64 overflow.
std::optional<CountExpr> addCounts(const CountExpr &a, const CountExpr &b, int64_t sign);

/// The largest value of `e` over its count's 0..bound (the extent of the
/// count's bounded value); nullopt if that leaves int64.
std::optional<int64_t> largestValue(const CountExpr &e);

/// The node that `v`'s run-time count comes from, if `v` is computed from a
/// count: for errors.
std::optional<std::string> countSource(mlir::Value v);

/// The bounded values that `v` is computed from (not through counts or
/// fillPast* selects, whose results are static).
llvm::SmallVector<mlir::Value> boundedSources(mlir::Value v);

/// The model node an op was imported from (its NameLoc), or "?": for errors.
std::string nodeNameOf(mlir::Operation *op);

} // namespace kiln::tfjs_import

#endif
