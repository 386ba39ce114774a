//===- Pipeline.h - Kiln's compilation phases and pass pipelines -*- C++ -*-===//
//
// The compiler is a sequence of phases; each can be the last one run and its
// IR printed (`kilnc --compile-to=<phase>`). The pass pipelines live here as
// library functions so that every tool and test builds the same pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_PIPELINE_PIPELINE_H
#define KILN_COMPILER_PIPELINE_PIPELINE_H

#include "codegen/schedule/Schedule.h"
#include "codegen/schedule/TuningDb.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace kiln {

/// Phases in pipeline order: a later phase implies all earlier ones.
enum class Phase {
  Import,    ///< func.func over TOSA, as imported, static shapes.
  Graph,     ///< TOSA after folding, layout and clean-up.
  Kernels,   ///< graph cut into kiln.kernel regions.
  Schedules, ///< every kernel carries a schedule record.
  Artifact,  ///< target files written (library, header, wasm...).
};

std::optional<Phase> parsePhase(llvm::StringRef name);
llvm::StringRef phaseName(Phase phase);
/// "import, graph, kernels, schedules, artifact": for error messages.
std::string phaseNames();

/// Registers every dialect Kiln's IR may contain.
void registerDialects(mlir::DialectRegistry &registry);
/// Registers Kiln's passes and the upstream ones its pipelines use, for
/// kiln-opt and textual pipelines.
void registerPasses();

/// TOSA graph optimisation: constant folding, layout propagation (NHWC,
/// transposes cancelled), BatchNorm and bias folding into convs,
/// canonicalisation, CSE.
void buildGraphPipeline(mlir::OpPassManager &pm);
struct PipelineOptions {
  /// Halide target the schedules are chosen for ("host", "x86-64-linux-avx2",
  /// "wasm-32-wasmrt-wasm_simd128"...).
  std::string target = "host";
  /// Kiln's templates or one of Halide's autoschedulers.
  codegen::ScheduleMode scheduleMode = codegen::ScheduleMode::Template;
  /// Merge inverted-residual blocks into one kernel (kiln-fuse-blocks).
  /// Template schedules only: the block template is Kiln's; the
  /// autoschedulers get the kernels one convolution each. Measured in
  /// codegen/README.md ("block").
  bool fuseBlocks = true;
};

/// Kernel formation: kiln.kernel regions with structural hashes, then block
/// fusion where `options` allow it.
void buildKernelsPipeline(mlir::OpPassManager &pm, const PipelineOptions &options = {});

/// Weight packing and schedule assignment: a kiln.schedule record on every
/// kernel (see codegen/schedule/README.md), for `options.target`.
void buildSchedulesPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Measured records to prefer over the templates (kilnc --tuning-db): the
/// best ok record per kernel for this machine, the variant's Halide target,
/// `device` and `threads` (codegen/schedule/TuningDb.h).
struct TuningOptions {
  const codegen::TuningDb *db = nullptr;
  std::string device = "native";
  int threads = 1;
  /// Filled in: what the database gave and what it ignored.
  codegen::TuningUse *use = nullptr;
};

/// The schedules phase for one of a target's variants, on `module` at phase
/// kernels: the one place a target's kernels get their records (the driver
/// runs it once per variant, on a copy each; kiln-run, the tuner and the
/// tests the same way). Weights are packed, records from `tuning` attached,
/// then the templates (or `mode`'s autoscheduler) fill in the rest. Errors
/// are reported through MLIR diagnostics.
mlir::LogicalResult runSchedulesPhase(mlir::ModuleOp module,
                                      const codegen::ScheduleVariant &variant,
                                      codegen::ScheduleMode mode, const TuningOptions &tuning = {});

/// Runs the passes that take a freshly imported module from the Import phase
/// up to and including `to` (Artifact runs everything up to Schedules; the
/// target writes the files).
mlir::LogicalResult runPipeline(mlir::ModuleOp module, Phase to,
                                const PipelineOptions &options = {});

} // namespace kiln

#endif
