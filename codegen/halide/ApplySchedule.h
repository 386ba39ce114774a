//===- ApplySchedule.h - schedule records onto Halide pipelines --*- C++ -*-===//
//
// Turns a ScheduleRecord into a Halide schedule for an emitted kernel: one
// of Kiln's templates (ApplySchedule.cpp), or one of the autoschedulers
// shipped with Debian's Halide (loaded as plugins, given the static shapes
// as estimates). Includes Halide.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_APPLYSCHEDULE_H
#define KILN_CODEGEN_APPLYSCHEDULE_H

#include "codegen/halide/KernelEmitter.h"
#include "codegen/schedule/Schedule.h"

namespace kiln::codegen {

/// Schedules `kernel` for `target` as `record` says and returns the record
/// in effect: a template record whose pattern or knobs do not fit the
/// kernel (stage count, shapes, tiles that do not divide) falls back to the
/// generic template, which is always correct, and says so (pattern
/// generic).
llvm::Expected<ScheduleRecord> applySchedule(EmittedKernel &kernel, const ScheduleRecord &record,
                                             const Halide::Target &target);

/// Building blocks of the templates (ApplySchedule.cpp), shared with the
/// block template (BlockSchedule.cpp).
///
/// Whether `record`'s vector width and register tile fit an output of
/// `shape` (tensor order): a record from a tuner or a file may not.
bool tiledReductionFits(const std::vector<int64_t> &shape, const ScheduleRecord &record);
/// Cuts `out` (a Func of tensor shape `shape`) into register tiles of
/// record.channelTile channels x record.pixelTile pixels (x rowTile rows)
/// and computes the reduction `acc` (with reduction domain `rdom`) inside
/// each tile, accumulators on the stack. Parallel loops only when
/// `parallel`. False, with nothing scheduled, when the record does not fit.
bool tileReduction(Halide::Func out, Halide::Func acc, const Halide::RDom &rdom,
                   const std::vector<int64_t> &shape, const ScheduleRecord &record, bool parallel,
                   bool windowRowsApart = false);
/// The block template (BlockSchedule.cpp): false, with nothing scheduled,
/// when the kernel is not a block or the record does not fit it.
bool applyBlock(EmittedKernel &kernel, const ScheduleRecord &record);

/// Runs one of Halide's autoschedulers (plugin loaded once per process).
llvm::Error applyAutoSchedule(EmittedKernel &kernel, ScheduleMode mode,
                              const Halide::Target &target);

/// The Halide target for a Kiln target string: "host" is this machine, else
/// a Halide target string ("x86-64-linux-avx2-fma", "wasm-32-wasmrt-...").
llvm::Expected<Halide::Target> parseHalideTarget(llvm::StringRef target);

} // namespace kiln::codegen

#endif
