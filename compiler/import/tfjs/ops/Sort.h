//===- Sort.h - TopKV2 by rank, for k past the unrolled rounds ---*- C++ -*-===//
//
// TopKV2 (ops/Scan.cpp) takes k rounds of "maximum, then mask it out", which
// grows the IR with k; detectors sort whole score lists (handtrack: k = 700,
// the Object Detection API's SortByField). Here each element's rank is a
// count over all pairs (greater, or equal at a lower index: TF.js's order),
// and output position p gathers the element of rank p: a constant number of
// ops, O(n^2) work per row.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_SORT_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_SORT_H

#include "compiler/import/tfjs/OpContext.h"

namespace kiln::tfjs_import {

/// Rows of the last dimension this path takes: the pair table is n^2.
inline constexpr int64_t kMaxRankSort = 2048;
/// ... and pairs over all rows: the [rows, n, n] table stays under 64 MB.
inline constexpr int64_t kMaxRankPairs = int64_t(1) << 24;

/// TopKV2 of input 0 (float32 or int32, last dimension n <= kMaxRankSort)
/// for 1 <= k <= n: defines outputs 0 (values) and 1 (int32 indices).
llvm::Error topKByRank(OpContext &node, int64_t k);

/// TopKV2 whose k is a run-time length (`tf.shape(x)[0]`, docs/BOUNDED.md):
/// the whole row sorted by rank, its first k a bounded value with that
/// count. Rows of an input computed from bounded values must have k as
/// their count; those past it are sorted last (set to the lowest value).
llvm::Error topKOfCount(OpContext &node);

} // namespace kiln::tfjs_import

#endif
