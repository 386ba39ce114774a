//===- Einsum.h - Einsum over TOSA --------------------------------*- C++ -*-===//
//
// ONNX Einsum and TF.js Einsum share this lowering. An equation is parsed
// into labels (letters; an ellipsis becomes as many broadcast labels as the
// operand has dimensions left, aligned from the right as numpy does), then:
// 1. a label repeated in one operand takes the diagonal: a multiply by an
//    identity mask over the two dimensions and a sum over one of them;
// 2. a label that no other operand and not the output holds is summed away;
// 3. operands are contracted left to right, each pair as one batched product
//    (float32: one tosa.matmul; other types: a broadcast multiply and a sum,
//    exact for integers), keeping the labels the output or a later operand
//    needs;
// 4. the result is transposed to the output's order.
// Without "->", the output is the ellipsis dimensions, then the labels that
// appear once, in alphabetical order (numpy's implicit mode).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_COMMON_EINSUM_H
#define KILN_COMPILER_IMPORT_COMMON_EINSUM_H

#include "mlir/IR/Builders.h"
#include "llvm/Support/Error.h"

namespace kiln::import {

/// The most elements an intermediate broadcast product may have (the
/// non-float32 contraction materialises [batch, M, N, K]).
constexpr int64_t kMaxEinsumElements = 1 << 24;

/// `equation` applied to `operands` (all of one element type, not bool); an
/// error says what about the equation or the operands' shapes is wrong.
llvm::Expected<mlir::Value> einsum(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef equation,
                                   llvm::ArrayRef<mlir::Value> operands);

} // namespace kiln::import

#endif
