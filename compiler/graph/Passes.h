//===- Passes.h - graph-phase passes (TOSA to TOSA) --------------*- C++ -*-===//
#ifndef KILN_COMPILER_GRAPH_PASSES_H
#define KILN_COMPILER_GRAPH_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

#define GEN_PASS_DECL
#include "compiler/graph/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/graph/Passes.h.inc"

} // namespace kiln

#endif
