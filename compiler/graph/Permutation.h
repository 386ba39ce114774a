//===- Permutation.h - transpose permutations for the layout passes -*- C++ -*-===//
//
// TOSA's transpose reads `out dim i = in dim perms[i]`. These helpers keep
// that one convention in one place: composing two transposes into one,
// inverting, and building a transpose with its constant perms.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_GRAPH_PERMUTATION_H
#define KILN_COMPILER_GRAPH_PERMUTATION_H

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace kiln {

using Perm = llvm::SmallVector<int64_t, 6>;

bool isIdentityPerm(llvm::ArrayRef<int64_t> perm);

/// The permutation that undoes `perm`.
Perm invertPerm(llvm::ArrayRef<int64_t> perm);

/// transpose(transpose(x, first), second) == transpose(x, composePerms(first, second)).
Perm composePerms(llvm::ArrayRef<int64_t> first, llvm::ArrayRef<int64_t> second);

/// `shape` as a transpose by `perm` leaves it: out[i] = shape[perm[i]].
llvm::SmallVector<int64_t> permuteShape(llvm::ArrayRef<int64_t> shape,
                                        llvm::ArrayRef<int64_t> perm);

/// The constant perms of `op`, if they are constant and a permutation.
std::optional<Perm> getTransposePerm(mlir::tosa::TransposeOp op);

/// A tosa.transpose of `input` (a ranked tensor) by `perm`, with its perms
/// as an i32 tosa.const.
mlir::Value createTranspose(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value input,
                            llvm::ArrayRef<int64_t> perm);

} // namespace kiln

#endif
