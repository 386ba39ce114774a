//===- Driver.h - kilnc as a library -----------------------------*- C++ -*-===//
//
// Everything kilnc does, callable from tests: load a model (by its file
// type), run the phases up to the one asked for, write IR or artifacts.
// Errors come back as one clear line each; nothing is written on failure.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_DRIVER_DRIVER_H
#define KILN_COMPILER_DRIVER_DRIVER_H

#include "compiler/pipeline/Pipeline.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln {

struct DriverOptions {
  std::string inputPath;
  /// A file for IR output ("-" for stdout), or a directory for artifacts.
  std::string outputPath = "-";
  Phase compileTo = Phase::Artifact;
  std::string target = "cpu";
  /// "name=1x3x224x224" entries pinning dynamic input dimensions.
  std::vector<std::string> inputShapes;
  /// "name=V[,V...]" entries fixing a TF.js input's value at import: the
  /// input becomes a constant and leaves the model's interface.
  std::vector<std::string> inputValues;
  /// TF.js: an unknown batch dimension (-1) becomes 1 unless this is false.
  bool pinBatchToOne = true;
  /// IR output: print weight blobs whole (default: elide those over 1 KB).
  bool printWeights = false;
  /// Prefix of every generated symbol; defaults to the input file's stem.
  std::string modelName;
  /// --cpu: host (default), arm64-linux, arm64-android, arm64-ios.
  std::string cpu = "host";
  /// --cpu-features: host (default), sse41, avx2, avx512; arm64: dotprod,fp16.
  std::string cpuFeatures = "host";
  /// --vulkan, --fp16-storage: the spirv target's (targets/spirv/README.md).
  std::string vulkan = "1.0";
  bool fp16Storage = false;
  /// --schedule: template (default) or auto:adams2019|li2018|mullapudi2016.
  std::string scheduleMode = "template";
  /// kiln-fuse-blocks (template schedules only). Unset: on for the CPU,
  /// off for WASM (no faster there, and 13 KB more code for MobileNetV2).
  std::optional<bool> fuseBlocks;
  /// Weights linked in (false) or written to NAME.weights.bin (true).
  bool externalWeights = false;
  /// wasm: also build NAME.nosimd.wasm for engines without SIMD.
  bool wasmFallback = true;
  /// wasm: also build NAME.threads.wasm (parallel loops on workers).
  bool wasmThreads = false;
  /// wasm: also build the relaxed SIMD modules (f32x4.relaxed_madd).
  bool wasmRelaxedSimd = false;
  /// wasm: keep Halide's buffer checks in the kernels.
  bool kernelChecks = false;
  /// wasm: the image adapter's options as given (TargetOptions).
  std::string inputImage, normalize, fit, resize, pad;
  /// --tuning-db: measured records to prefer over the templates (kiln-tune
  /// writes them); empty: none.
  std::string tuningDb;
  /// The device and thread count the records must have been measured on
  /// (unset device: native for cpu, node for wasm).
  std::string tuningDevice;
  int tuningThreads = 1;
  /// Artifacts: one line per compiled kernel and a total, on the error
  /// stream (kilnc: --progress, or stderr is a terminal).
  bool progress = false;
};

/// Loads a model by file type: .onnx/.onnxtext, TF.js model.json, .mlir (Kiln IR
/// at the import phase).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> loadModel(mlir::MLIRContext &context,
                                                            const DriverOptions &options);

/// Runs kilnc. Returns the process exit code; errors go to `errs`.
int runDriver(const DriverOptions &options, llvm::raw_ostream &errs);

} // namespace kiln

#endif
