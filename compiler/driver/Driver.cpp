//===- Driver.cpp - kilnc as a library ------------------------------------===//
#include "compiler/driver/Driver.h"

#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/import/tfjs/TfjsImporter.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/wasm/WasmTarget.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace kiln {

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static const char *kTargets[] = {"cpu", "wasm"};

llvm::Expected<OwningOpRef<ModuleOp>> loadModel(MLIRContext &context,
                                                const DriverOptions &options) {
  const std::string &path = options.inputPath;
  if (!llvm::sys::fs::exists(path))
    return makeError(path + ": no such file");
  if (llvm::sys::fs::is_directory(path))
    return makeError(path + ": is a directory, expected a model file");
  llvm::StringRef ext = llvm::sys::path::extension(path);

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
  if (!llvm::is_contained(kTargets, options.target))
    return fail("unknown target '" + options.target + "' (expected cpu or wasm)");

  DialectRegistry registry;
  registerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  auto module = loadModel(context, options);
  if (!module)
    return fail(llvm::toString(module.takeError()));

  if (options.compileTo == Phase::Artifact && options.outputPath == "-")
    return fail("--compile-to=artifact writes files: give an output directory with -o");
  if (options.target == "wasm" && options.cpuFeatures != "host")
    return fail("--cpu-features applies to --target=cpu only");
  auto halideTarget = halideTargetForCpuFeatures(options.cpuFeatures);
  if (!halideTarget)
    return fail(llvm::toString(halideTarget.takeError()));
  auto scheduleMode = codegen::parseScheduleMode(options.scheduleMode);
  if (!scheduleMode)
    return fail(llvm::toString(scheduleMode.takeError()));
  PipelineOptions pipelineOptions;
  pipelineOptions.target = options.target == "wasm" ? kWasmSimdHalideTarget : *halideTarget;
  pipelineOptions.scheduleMode = options.scheduleMode;
  pipelineOptions.fuseBlocks = options.fuseBlocks.value_or(options.target != "wasm");

  // Pass failures report through MLIR diagnostics; print them as they come.
  std::string diagText;
  llvm::raw_string_ostream diagStream(diagText);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagStream);
  if (failed(runPipeline(**module, options.compileTo, pipelineOptions)))
    return fail("compilation failed at phase '" + phaseName(options.compileTo) + "':\n" +
                llvm::StringRef(diagText).rtrim());

  std::string modelName = options.modelName.empty() ? llvm::sys::path::stem(options.inputPath).str()
                                                    : options.modelName;
  std::string sourceName = llvm::sys::path::filename(options.inputPath).str();
  if (options.compileTo == Phase::Artifact && options.target == "wasm") {
    WasmTargetOptions wasm;
    wasm.outputDir = options.outputPath;
    wasm.modelName = modelName;
    wasm.sourceName = sourceName;
    wasm.externalWeights = options.externalWeights;
    wasm.fallback = options.wasmFallback;
    wasm.kernelChecks = options.kernelChecks;
    wasm.scheduleMode = *scheduleMode;
    wasm.sizeReport = &llvm::outs();
    wasm.progress = options.progress ? &errs : nullptr;
    wasm.warnings = &errs;
    if (llvm::Error err = emitWasmArtifact(**module, wasm))
      return fail(llvm::toString(std::move(err)));
    return 0;
  }
  if (options.compileTo == Phase::Artifact) {
    CpuTargetOptions cpu;
    cpu.outputDir = options.outputPath;
    cpu.modelName = options.modelName.empty() ? llvm::sys::path::stem(options.inputPath).str()
                                              : options.modelName;
    cpu.sourceName = llvm::sys::path::filename(options.inputPath).str();
    cpu.halideTarget = *halideTarget;
    cpu.scheduleMode = *scheduleMode;
    cpu.externalWeights = options.externalWeights;
    cpu.progress = options.progress ? &errs : nullptr;
    cpu.warnings = &errs;
    if (llvm::Error err = emitCpuArtifact(**module, cpu))
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
