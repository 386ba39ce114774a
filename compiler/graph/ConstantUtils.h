//===- ConstantUtils.h - read and write weights, dense or resource -*- C++ -*-===//
//
// Weights reach the graph passes as `tosa.const` whose value is either a
// DenseElementsAttr (small or splat) or a DenseResourceElementsAttr (a blob,
// so that megabytes of weights are never printed). Passes that fold or rewrite
// weights go through these helpers so that they treat both alike, and so that
// what they create follows the same rule: splats and small constants inline,
// the rest as blobs.
//
// Data is read in row-major order; blobs are taken to hold little-endian
// elements packed at their natural width (what the importers write).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_GRAPH_CONSTANTUTILS_H
#define KILN_COMPILER_GRAPH_CONSTANTUTILS_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace kiln {

/// Constants with more elements than this (and not splats) are written as
/// `dense_resource` blobs; smaller ones inline as `dense<...>`. kilnc prints
/// with elideLargeElementsAttrs(16), so what the passes create always prints
/// in full and parses back.
constexpr int64_t kInlineElementLimit = 16;

/// True if `attr` is a dense or dense_resource attribute of integer or float
/// elements (widths 1, 8, 16, 32, 64) whose data is present (an elided
/// resource is not).
bool isReadableConstant(mlir::Attribute attr);

/// The elements of a readable constant converted to double (integers exactly
/// up to 2^53, floats of any width exactly). std::nullopt if not readable.
std::optional<std::vector<double>> readAsDoubles(mlir::ElementsAttr attr);

/// The elements of a readable integer constant (signless and signed
/// sign-extended, unsigned zero-extended, i1 as 0/1). std::nullopt for floats
/// or unreadable data.
std::optional<std::vector<int64_t>> readAsInts(mlir::ElementsAttr attr);

/// A constant of `type` (float elements) from `values`, each rounded to the
/// element type (to nearest, ties to even). `values` has one value per element.
mlir::ElementsAttr makeFloatConstant(mlir::ShapedType type, llvm::ArrayRef<double> values,
                                     llvm::StringRef nameHint = "kiln_const");

/// A constant of `type` (integer elements) from `values`, truncated to the
/// element width.
mlir::ElementsAttr makeIntConstant(mlir::ShapedType type, llvm::ArrayRef<int64_t> values,
                                   llvm::StringRef nameHint = "kiln_const");

/// The constant's data transposed: result dim i is input dim perm[i]. Any
/// element type the readers accept; null if unreadable.
mlir::ElementsAttr transposeConstant(mlir::ElementsAttr attr, llvm::ArrayRef<int64_t> perm);

/// The same elements in row-major order under a new shape (equal element
/// count and type); null if unreadable.
mlir::ElementsAttr reshapeConstant(mlir::ElementsAttr attr, mlir::ShapedType type);

/// For a shape of `rank` dims, the row-major strides.
llvm::SmallVector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape);

} // namespace kiln

#endif
