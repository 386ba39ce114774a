//===- ConstantEval.h - evaluate elementwise TOSA ops on constants -*- C++ -*-===//
//
// The arithmetic behind kiln-fold-constants, apart from the pass so that it
// can be tested on its own. Float math is done in double and rounded once to
// the result type; integer math in int64 and wrapped to the result width, as
// TOSA's integer ops wrap.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_GRAPH_CONSTANTEVAL_H
#define KILN_COMPILER_GRAPH_CONSTANTEVAL_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Operation.h"

namespace kiln {

/// True if `op` is an op evaluateConstantOp may fold (given suitable types).
bool isEvaluableOp(mlir::Operation *op);

/// `op`'s result for constant `operands` (one per operand of `op`, numpy
/// broadcasting for binary ops), or null when the op, its types or its values
/// cannot be evaluated exactly (an integer division by zero, a NaN cast to an
/// integer, a quantized op).
mlir::ElementsAttr evaluateConstantOp(mlir::Operation *op,
                                      llvm::ArrayRef<mlir::ElementsAttr> operands);

} // namespace kiln

#endif
