//===- Driver.cpp - kilnc as a library ------------------------------------===//
#include "compiler/driver/Driver.h"

#include "codegen/schedule/BufferLimits.h"
#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/import/tfjs/TfjsImporter.h"
#include "compiler/support/Error.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "targets/Targets.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace kiln {

static llvm::Expected<OwningOpRef<ModuleOp>> loadFile(MLIRContext &context,
                                                      const DriverOptions &options);

llvm::Expected<OwningOpRef<ModuleOp>> loadModel(MLIRContext &context,
                                                const DriverOptions &options) {
  auto module = loadFile(context, options);
  // Every pass after this multiplies shapes without a check.
  if (module)
    if (llvm::Error err = codegen::checkElementCounts(**module))
      return makeError(options.inputPath + ": " + llvm::toString(std::move(err)));
  return module;
}

static llvm::Expected<OwningOpRef<ModuleOp>> loadFile(MLIRContext &context,
                                                      const DriverOptions &options) {
  const std::string &path = options.inputPath;
  if (!llvm::sys::fs::exists(path))
    return makeError(path + ": no such file");
  if (llvm::sys::fs::is_directory(path))
    return makeError(path + ": is a directory, expected a model file");
  llvm::StringRef ext = llvm::sys::path::extension(path);

  if (!options.inputValues.empty() && ext != ".json")
    return makeError("--input-value " + options.inputValues.front() +
                     ": fixing an input's value is implemented for TF.js models only, not '" + ext +
                     "' files");
  if (ext == ".onnx" || ext == ".onnxtext") {
    OnnxImportOptions importOptions;
    for (const std::string &spec : options.inputShapes)
      if (llvm::Error err = importOptions.addInputShape(spec))
        return std::move(err);
    return importOnnxFile(context, path, importOptions);
  }
  if (ext == ".json") {
    TfjsImportOptions importOptions;
    importOptions.pinBatchToOne = options.pinBatchToOne;
    for (const std::string &spec : options.inputShapes)
      if (llvm::Error err = importOptions.addInputShape(spec))
        return std::move(err);
    for (const std::string &spec : options.inputValues)
      if (llvm::Error err = importOptions.addInputValue(spec))
        return std::move(err);
    return importTfjsModel(context, path, importOptions);
  }
  if (ext == ".mlir") {
    // The first parse error becomes the message: "file:line:col: what".
    std::string firstError;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (firstError.empty() && diag.getSeverity() == DiagnosticSeverity::Error) {
        llvm::raw_string_ostream os(firstError);
        if (auto loc = dyn_cast<FileLineColLoc>(diag.getLocation()))
          os << loc.getFilename().getValue() << ":" << loc.getLine() << ":" << loc.getColumn();
        else
          os << diag.getLocation();
        os << ": " << diag.str();
      }
      return success();
    });
    OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, &context);
    if (!module)
      return makeError(firstError);
    return std::move(module);
  }
  return makeError(path + ": unknown model type '" + ext +
                   "' (expected .onnx, .onnxtext, a TF.js model.json or .mlir)");
}

int runDriver(const DriverOptions &options, llvm::raw_ostream &errs) {
  auto fail = [&](const llvm::Twine &message) {
    errs << "kilnc: error: " << message << "\n";
    return 1;
  };
  const Target *target = findTarget(options.target);
  if (!target)
    return fail("unknown target '" + options.target + "' (expected " + targetNames() + ")");

  DialectRegistry registry;
  registerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  auto module = loadModel(context, options);
  if (!module)
    return fail(llvm::toString(module.takeError()));

  if (options.compileTo == Phase::Artifact && options.outputPath == "-")
    return fail("--compile-to=artifact writes files: give an output directory with -o");
  auto scheduleMode = codegen::parseScheduleMode(options.scheduleMode);
  if (!scheduleMode)
    return fail(llvm::toString(scheduleMode.takeError()));
  // Halide's autoschedulers schedule Halide pipelines; the spirv target's
  // kernels lower through MLIR, so the flag would only relabel templates.
  if (options.target == "spirv" && *scheduleMode != codegen::ScheduleMode::Template)
    return fail("--schedule=" + options.scheduleMode +
                " does not apply to --target=spirv: Halide's autoschedulers schedule the cpu "
                "and wasm targets' Halide kernels, and the spirv target's kernels lower "
                "through MLIR (its GPU records come from templates or kiln-tune "
                "--device=vulkan)");

  TargetOptions targetOptions;
  targetOptions.outputDir = options.outputPath;
  targetOptions.modelName = options.modelName.empty()
                                ? llvm::sys::path::stem(options.inputPath).str()
                                : options.modelName;
  targetOptions.sourceName = llvm::sys::path::filename(options.inputPath).str();
  targetOptions.cpu = options.cpu;
  targetOptions.cpuFeatures = options.cpuFeatures;
  targetOptions.vulkan = options.vulkan;
  targetOptions.fp16Storage = options.fp16Storage;
  targetOptions.scheduleMode = *scheduleMode;
  targetOptions.externalWeights = options.externalWeights;
  targetOptions.wasmFallback = options.wasmFallback;
  targetOptions.wasmThreads = options.wasmThreads;
  // With a tuning database the threaded module is scheduled on its own: its
  // records are measured on a pool of workers (kiln-tune --threads=N).
  targetOptions.wasmThreadsSchedules = !options.tuningDb.empty();
  targetOptions.wasmRelaxedSimd = options.wasmRelaxedSimd;
  targetOptions.kernelChecks = options.kernelChecks;
  targetOptions.inputImage = options.inputImage;
  targetOptions.normalize = options.normalize;
  targetOptions.fit = options.fit;
  targetOptions.resize = options.resize;
  targetOptions.pad = options.pad;
  targetOptions.progress = options.progress ? &errs : nullptr;
  targetOptions.warnings = &errs;
  targetOptions.sizeReport = &llvm::outs();
  if (llvm::Error err = target->checkOptions(targetOptions))
    return fail(llvm::toString(std::move(err)));
  auto variants = target->variants(targetOptions);
  if (!variants)
    return fail(llvm::toString(variants.takeError()));

  std::optional<codegen::TuningDb> tuningDb;
  if (!options.tuningDb.empty()) {
    auto db = codegen::loadTuningDb(options.tuningDb);
    if (!db)
      return fail(llvm::toString(db.takeError()));
    for (const std::string &warning : db->warnings)
      errs << "kilnc: warning: " << warning << "\n";
    tuningDb = std::move(*db);
  }
  // One report per variant of what the database gave.
  auto tuningFor = [&](codegen::TuningUse &use, const codegen::ScheduleVariant &variant) {
    TuningOptions tuning;
    if (!tuningDb)
      return tuning;
    tuning.db = &*tuningDb;
    // Each target's default device, as kiln-tune names it: a spirv model's
    // records are measured through Vulkan.
    tuning.device = !options.tuningDevice.empty() ? options.tuningDevice
                    : options.target == "wasm"    ? "node"
                    : options.target == "spirv"   ? "vulkan"
                                                  : "native";
    tuning.threads = options.tuningThreads;
    // WASM: the single-threaded modules take records measured on 1 thread,
    // the threaded module those measured on a pool (2 threads unless
    // --tuning-threads names another count).
    if (options.target == "wasm")
      tuning.threads = variant.name == "threads" ? std::max(2, options.tuningThreads) : 1;
    tuning.use = &use;
    return tuning;
  };
  auto reportTuning = [&](const codegen::TuningUse &use, const codegen::ScheduleVariant &variant) {
    if (!tuningDb)
      return;
    errs << "kilnc: " << use.fromDb << " of " << use.kernels << " kernels scheduled from "
         << llvm::sys::path::filename(options.tuningDb) << " (" << variant.name
         << (variant.name == "threads" ? " module" : " variant") << "); the rest from "
         << codegen::scheduleModeName(*scheduleMode) << "\n";
    for (const std::string &note : use.notes)
      errs << "kilnc: note: " << note << "\n";
  };

  PipelineOptions pipelineOptions;
  pipelineOptions.target = variants->front().halideTarget;
  pipelineOptions.scheduleMode = *scheduleMode;
  pipelineOptions.fuseBlocks = options.fuseBlocks.value_or(target->fuseBlocksByDefault());

  // Pass failures report through MLIR diagnostics; print them as they come.
  std::string diagText;
  llvm::raw_string_ostream diagStream(diagText);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagStream);
  auto phaseFailed = [&](Phase phase, llvm::StringRef variant = "") {
    std::string where = variant.empty() ? "" : " (" + variant.str() + ")";
    return fail("compilation failed at phase '" + phaseName(phase) + "'" + where + ":\n" +
                llvm::StringRef(diagText).rtrim());
  };
  if (failed(runPipeline(**module, std::min(options.compileTo, Phase::Kernels), pipelineOptions)))
    return phaseFailed(std::min(options.compileTo, Phase::Kernels));

  // The schedules phase: once per variant the target asked for, each on its
  // own copy of the kernels (the primary one in place when only printing).
  if (options.compileTo == Phase::Schedules) {
    codegen::TuningUse use;
    if (failed(runSchedulesPhase(**module, variants->front(), *scheduleMode,
                                 tuningFor(use, variants->front()))))
      return phaseFailed(Phase::Schedules);
    reportTuning(use, variants->front());
  }
  if (options.compileTo == Phase::Artifact) {
    std::vector<OwningOpRef<ModuleOp>> scheduled;
    std::vector<ModuleOp> modules;
    for (const codegen::ScheduleVariant &variant : *variants) {
      scheduled.emplace_back((*module)->clone());
      codegen::TuningUse use;
      if (failed(runSchedulesPhase(*scheduled.back(), variant, *scheduleMode,
                                   tuningFor(use, variant))))
        return phaseFailed(Phase::Schedules, variant.name);
      reportTuning(use, variant);
      modules.push_back(*scheduled.back());
    }
    if (llvm::Error err = target->emit(modules, targetOptions))
      return fail(llvm::toString(std::move(err)));
    return 0;
  }

  // Written through a temporary and renamed: a failure never leaves a torn
  // or truncated output behind.
  if (llvm::Error err = llvm::writeToOutput(options.outputPath, [&](llvm::raw_ostream &os) {
        // Weights are never printed whole unless asked: a 14 MB model would
        // print 28 MB of hex. Elided IR does not parse back; --print-weights
        // keeps it round-trippable.
        OpPrintingFlags flags;
        flags.elideLargeElementsAttrs(16);
        if (!options.printWeights)
          flags.elideLargeResourceString(1024);
        (*module)->print(os, flags);
        os << "\n";
        return llvm::Error::success();
      }))
    return fail("cannot write '" + options.outputPath + "': " + llvm::toString(std::move(err)));
  return 0;
}

} // namespace kiln
