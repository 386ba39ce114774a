//===- Length.h - run-time lengths with a static bound ----------*- C++ -*-===//
//
// A run-time integer scalar computed from counts (Count.h) through
// Minimum, Maximum and Select has a static bound: the Object Detection API's
// Minimum(100, shape[0]) before a Range. A Range to such a length is a
// bounded value (docs/BOUNDED.md, lengths).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_LENGTH_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_LENGTH_H

#include "compiler/import/tfjs/OpContext.h"

#include <optional>
#include <string>

namespace kiln::tfjs_import {

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

} // namespace kiln::tfjs_import

#endif
