//===- CompileTask.cpp - one candidate, built as kilnc builds -------------===//
//
// The same path as kilnc's: the target's own emit, so that what a runner
// times is what the library, the WASM module or the SPIR-V host would run.
//
//===----------------------------------------------------------------------===//
#include "tuner/CompileTask.h"

#include "codegen/schedule/KernelInfo.h"
#include "compiler/pipeline/Pipeline.h"
#include "compiler/support/Error.h"
#include "mlir/Parser/Parser.h"
#include "targets/Targets.h"
#include "tuner/Task.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdlib>

using namespace llvm;

namespace kiln::tuner {

Error compileTask(StringRef targetName, StringRef taskPath, StringRef outDir,
                  StringRef scheduleText) {
  // wasm-threads: the WASM target's threaded module alone (kiln-tune
  // --target=wasm --threads=N measures candidates on a pool of workers).
  bool wasmThreads = targetName == "wasm-threads";
  if (wasmThreads)
    targetName = "wasm";
  const kiln::Target *t = kiln::findTarget(targetName);
  if (!t)
    return makeError("unknown target '" + targetName + "'");
  mlir::DialectRegistry registry;
  kiln::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr sources;
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(taskPath, sources, &context);
  if (!module)
    return makeError("cannot parse task '" + taskPath + "'");
  if (!scheduleText.empty()) {
    auto record = kiln::codegen::ScheduleRecord::parse(scheduleText, &context);
    if (!record)
      return record.takeError();
    auto attr = record->toAttr(&context);
    if (!attr)
      return attr.takeError();
    kiln::tuner::taskKernel(*module)->setAttr(kiln::codegen::kScheduleAttrName, *attr);
  }
  kiln::TargetOptions options;
  options.outputDir = outDir.str();
  options.modelName = "task";
  options.sourceName = sys::path::filename(taskPath).str();
  options.wasmFallback = false; // the runner measures the SIMD (or threaded) module only
  options.wasmThreadsOnly = wasmThreads;
  // The native runner builds a library per candidate; the runtime is the
  // same for all (tuner/runners/library_runner.mjs keeps the first one).
  if (const char *runtime = std::getenv("KILN_TUNE_REUSE_RUNTIME"))
    options.reuseRuntime = runtime;
  mlir::ModuleOp scheduled[] = {*module};
  if (Error err = t->emit(scheduled, options))
    return err;
  return Error::success();
}

} // namespace kiln::tuner
