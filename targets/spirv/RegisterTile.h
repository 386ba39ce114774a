//===- RegisterTile.h - several outputs per invocation, in registers -*- C++ -*-===//
//
// The record's invocation_tile gives each invocation a tile of outputs (x:
// channels, y: columns, z: rows). For a nest with a reduction inside
// (convolutions, matrix products, pooling) the tile's outputs are computed
// together: the tile loops are unrolled and jammed into the reduction
// loops, so a loaded input or weight serves every output of the tile that
// uses it (CSE merges the equal loads) and each output's accumulator stays
// in a register. The last tile of a dimension shifts inward (recomputing a
// few outputs) instead of being guarded, so no tile is partial.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_SPIRV_REGISTERTILE_H
#define KILN_TARGETS_SPIRV_REGISTERTILE_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <array>
#include <cstdint>

namespace kiln::spirv {

/// The mapping of a loop `fromInner` places from the innermost: workgroups
/// (or invocations with `threads`) x, y, z, then sequential.
mlir::gpu::ParallelLoopDimMappingAttr loopMapping(mlir::MLIRContext *ctx, unsigned fromInner,
                                                  bool threads);

/// Whether `nest` may be register-tiled: it holds a reduction loop, and
/// every buffer it writes it never reads (an output written twice with one
/// value, as a shifted tile does, is then harmless; kernels the host runs in
/// place over an input are elementwise and have no reduction).
bool registerTileable(mlir::scf::ParallelOp nest);

/// Replaces `nest` by a block-level and a thread-level scf.parallel (mapped
/// to workgroups and invocations over its innermost three dimensions, the
/// outer ones sequential) around the tile's outputs, unrolled and jammed.
mlir::LogicalResult registerTile(mlir::scf::ParallelOp nest, std::array<int64_t, 3> workgroup,
                                 std::array<int64_t, 3> tile);

} // namespace kiln::spirv

#endif
