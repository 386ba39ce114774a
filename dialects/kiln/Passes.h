//===- Passes.h - kiln dialect passes ----------------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_KILN_PASSES_H
#define KILN_DIALECTS_KILN_PASSES_H

#include "dialects/kiln/KilnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

#define GEN_PASS_DECL
#include "dialects/kiln/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/kiln/Passes.h.inc"

} // namespace kiln

#endif
