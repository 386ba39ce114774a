//===- Pipeline.cpp - Kiln's compilation phases and pass pipelines --------===//
#include "compiler/pipeline/Pipeline.h"

#include "codegen/schedule/Passes.h"
#include "compiler/graph/Passes.h"
#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace kiln {

static constexpr std::pair<Phase, llvm::StringLiteral> kPhases[] = {
    {Phase::Import, "import"},       {Phase::Graph, "graph"},       {Phase::Kernels, "kernels"},
    {Phase::Schedules, "schedules"}, {Phase::Artifact, "artifact"},
};

std::optional<Phase> parsePhase(llvm::StringRef name) {
  for (auto &[phase, phaseStr] : kPhases)
    if (phaseStr == name)
      return phase;
  return std::nullopt;
}

llvm::StringRef phaseName(Phase phase) {
  for (auto &[p, name] : kPhases)
    if (p == phase)
      return name;
  return "?";
}

std::string phaseNames() {
  std::string out;
  for (auto &[phase, name] : kPhases)
    out += (out.empty() ? "" : ", ") + name.str();
  return out;
}

void registerDialects(DialectRegistry &registry) {
  registry.insert<KilnDialect, func::FuncDialect, tosa::TosaDialect, arith::ArithDialect,
                  tensor::TensorDialect>();
}

void registerPasses() {
  registerKilnPasses();
  registerGraphPasses();
  registerCodegenPasses();
  mlir::registerTransformsPasses();
  mlir::tosa::registerTosaOptPasses();
  // The phases by name, so that kiln-opt runs exactly what kilnc runs (the
  // quick sanitizer run feeds real models through them: scripts/sanitize.sh).
  static PassPipelineRegistration<> graph(
      "kiln-graph-pipeline", "The graph phase (kilnc --compile-to=graph)", buildGraphPipeline);
  static PassPipelineRegistration<> kernels(
      "kiln-kernels-pipeline", "The kernels phase, with block fusion (kilnc --compile-to=kernels)",
      [](OpPassManager &pm) { buildKernelsPipeline(pm); });
  static PassPipelineRegistration<> schedules(
      "kiln-schedules-pipeline",
      "The schedules phase for this machine, Kiln's templates (kilnc --compile-to=schedules)",
      [](OpPassManager &pm) { buildSchedulesPipeline(pm, PipelineOptions()); });
}

void buildGraphPipeline(OpPassManager &pm) {
  // Constants first, so that shape arithmetic and weight transposes left by
  // the importer are plain constants before layout decisions count them.
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createKilnFoldConstantsPass());
  // Layout next: BatchNorm's mul/add only sit right after their conv once
  // the transposes between them are gone.
  pm.addNestedPass<func::FuncOp>(createKilnPropagateLayoutPass());
  pm.addNestedPass<func::FuncOp>(createKilnFoldIntoConvPass());
  pm.addNestedPass<func::FuncOp>(createKilnFoldConstantsPass());
  // Canonicalize turns transposes that only move unit dims into reshapes and
  // removes what the folds left dead; CSE merges the input transposes.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildKernelsPipeline(OpPassManager &pm, const PipelineOptions &options) {
  pm.addNestedPass<func::FuncOp>(createKilnFormKernelsPass());
  if (options.fuseBlocks && options.scheduleMode == codegen::ScheduleMode::Template)
    pm.addNestedPass<func::FuncOp>(createKilnFuseBlocksPass());
}

void buildSchedulesPipeline(OpPassManager &pm, const PipelineOptions &options) {
  // Weight packing (output channels innermost) then a record per kernel.
  buildCodegenSchedulesPipeline(pm, options.target, options.scheduleMode);
}

LogicalResult runSchedulesPhase(ModuleOp module, const codegen::ScheduleVariant &variant,
                                codegen::ScheduleMode mode, const TuningOptions &tuning) {
  if (!tuning.db) {
    PassManager pm(module.getContext());
    buildCodegenSchedulesPipeline(pm, variant.halideTarget, mode, !variant.keepAttachedRecords);
    return pm.run(module);
  }
  // Records are measured on kernels with packed weights (the tuner runs
  // this same phase), so the database is consulted after packing.
  PassManager pack(module.getContext());
  pack.addPass(createKilnPackWeightsPass());
  if (failed(pack.run(module)))
    return failure();
  codegen::TuningUse use = codegen::applyTuningDb(
      module, *tuning.db,
      codegen::hostFingerprint(variant.halideTarget, tuning.device, tuning.threads));
  if (tuning.use)
    *tuning.use = use;
  PassManager assign(module.getContext());
  KilnAssignSchedulesPassOptions options;
  options.target = variant.halideTarget;
  options.mode = mode;
  // Tuned records just attached stay; so do others unless the variant
  // replaces them.
  options.overwrite = false;
  if (!variant.keepAttachedRecords)
    module.walk([&](KernelOp kernel) {
      auto source = kernel->getAttrOfType<StringAttr>(codegen::kScheduleSourceAttrName);
      if (!source || !source.getValue().starts_with("tuned "))
        kernel->removeAttr(codegen::kScheduleAttrName);
    });
  assign.addPass(createKilnAssignSchedulesPass(options));
  return assign.run(module);
}

LogicalResult runPipeline(ModuleOp module, Phase to, const PipelineOptions &options) {
  PassManager pm(module.getContext());
  if (to >= Phase::Graph)
    buildGraphPipeline(pm);
  if (to >= Phase::Kernels)
    buildKernelsPipeline(pm, options);
  if (to >= Phase::Schedules)
    buildSchedulesPipeline(pm, options);
  return pm.run(module);
}

} // namespace kiln
