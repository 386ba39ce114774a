//===- TransposePatterns.h - local rewrites of tosa.transpose ----*- C++ -*-===//
//
// The small rewrites kiln-propagate-layout runs between its global layout
// decisions: merge a transpose of a transpose into one, drop identities, fold
// transposes of constants (dense or dense_resource) into new constants, and
// move a transpose below a reshape where the reshape keeps each group of
// merged or split dimensions contiguous.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_GRAPH_TRANSPOSEPATTERNS_H
#define KILN_COMPILER_GRAPH_TRANSPOSEPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace kiln {

/// Composes transpose pairs, removes identity transposes and folds
/// transposes of tosa.const.
void populateTransposeFoldingPatterns(mlir::RewritePatternSet &patterns);

/// Moves a single-use transpose below the reshape that consumes it when that
/// is exact (see TransposePatterns.cpp), so that it can meet its inverse.
void populateTransposeSinkingPatterns(mlir::RewritePatternSet &patterns);

} // namespace kiln

#endif
