//===- NestFusion.h - fewer dispatches per kernel ------------------*- C++ -*-===//
//
// After bufferization and convert-linalg-to-parallel-loops a kernel is one
// scf.parallel nest per linalg op, and every nest becomes its own dispatch
// (KernelToSpirv.cpp). These rewrites merge them, on memrefs, before the
// nests are mapped to workgroups:
// - virtualizeBuffers: a buffer only filled with a constant and copied into
//   (a pad's border and interior, a concat's slices), then only read, is
//   never materialised: each read selects among its writers' values at that
//   index (clamped loads, no branches), and the writer nests go away.
// - fuseNests: adjacent nests over the same iteration space whose
//   dependences are element-to-same-element (fill, conv, bias, activation,
//   the copy to the result) become one nest (MLIR's parallel loop fusion).
// - forwardStores / dropDeadBuffers: inside a fused nest a value stored and
//   loaded again at the same index is passed in a register, and a buffer
//   left only written is removed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_SPIRV_NESTFUSION_H
#define KILN_TARGETS_SPIRV_NESTFUSION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kiln::spirv {

/// The buffer a memref value views (through collapse, expand, subview).
mlir::Value baseBuffer(mlir::Value v);

/// Rewrites reads of buffers (memref.alloc in `func`'s body) that are only
/// constant-filled and copied into; returns how many buffers went away.
unsigned virtualizeBuffers(mlir::func::FuncOp func);

/// Fuses adjacent top-level scf.parallel nests of `func` where legal.
/// Distinct buffers never alias: each is its own binding or scratch
/// buffer; a result the host plans in place over an input belongs to an
/// elementwise kernel, whose reads and writes stay index to same index.
void fuseNests(mlir::func::FuncOp func);

/// Store-to-load forwarding inside each nest body, then removal of
/// memref.alloc buffers that are only stored to.
void forwardStores(mlir::func::FuncOp func);

} // namespace kiln::spirv

#endif
