//===- Target.h - what every target implements ---------------------*- C++ -*-===//
//
// A target turns a model at phase kernels into what a user links or loads.
// It says which options it serves, which schedule variants it wants (one
// Halide target each: the CPU one, WASM two — SIMD and a fallback), and emits
// its artifact from the modules the schedules phase produced for those
// variants. The driver owns the phases: it runs the schedules phase once per
// variant, on a copy each, and dispatches through targets/Targets.h; a new
// target implements this interface and adds one line to that registry,
// without touching the driver.
//
// Targets only read schedule records; they never choose them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_COMMON_TARGET_H
#define KILN_TARGETS_COMMON_TARGET_H

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace kiln {

/// Everything a user can ask of a target on the command line. A target
/// rejects, in checkOptions, what it cannot serve.
struct TargetOptions {
  std::string outputDir;
  /// Prefix of every generated symbol (sanitised by the target).
  std::string modelName;
  /// The model's file name, quoted in generated files.
  std::string sourceName;
  /// --cpu: host (default), arm64-linux, arm64-android, arm64-ios.
  std::string cpu = "host";
  /// --cpu-features: host (default), sse41, avx2, avx512; for arm64,
  /// dotprod and/or fp16.
  std::string cpuFeatures = "host";
  /// spirv: --vulkan, the Vulkan version the modules target ("1.0" or
  /// "1.1"), and --fp16-storage.
  std::string vulkan = "1.0";
  bool fp16Storage = false;
  /// For progress lines and warnings: what the user asked for (records
  /// carry the mode of each kernel).
  codegen::ScheduleMode scheduleMode = codegen::ScheduleMode::Template;
  /// Weights linked in (false) or written to NAME.weights.bin (true).
  bool externalWeights = false;
  /// wasm: also build NAME.nosimd.wasm for engines without SIMD.
  bool wasmFallback = true;
  /// wasm: also build NAME.threads.wasm (parallel loops on workers).
  bool wasmThreads = false;
  /// wasm with wasmThreads: the threaded module gets schedules of its own, a
  /// variant "threads" after the others (Halide target wasm_threads), so
  /// that a tuning database's records measured on a pool of workers apply
  /// to it alone (kilnc sets it with --tuning-db). Otherwise it is compiled
  /// from the SIMD module's schedules.
  bool wasmThreadsSchedules = false;
  /// wasm: build only NAME.threads.wasm, its worker and loader, from the one
  /// module given (kiln-tune's runner measuring a candidate on a pool:
  /// `kiln-tune --compile-task wasm-threads`); no size report.
  bool wasmThreadsOnly = false;
  /// wasm: also build the relaxed SIMD modules (f32x4.relaxed_madd).
  bool wasmRelaxedSimd = false;
  /// wasm: keep Halide's buffer checks in the kernels.
  bool kernelChecks = false;
  /// cpu: copy this libkiln_runtime.a (built by this target for the same
  /// --cpu and --cpu-features) instead of building it again: kiln-tune's
  /// native runner builds a library per candidate, and the runtime is the
  /// same for all of them (about a third of each build). Empty: build it.
  std::string reuseRuntime;
  /// wasm: --input-image=NAME:rgba8 and its --normalize, --fit, --resize,
  /// --pad, as given (empty: not given); targets/wasm/ImageAdapter.h parses
  /// them.
  std::string inputImage, normalize, fit, resize, pad;
  /// One line per compiled kernel and a total (targets/common/Progress.h);
  /// nullptr: none.
  llvm::raw_ostream *progress = nullptr;
  /// Warnings (an autoscheduler that failed on a kernel); nullptr: none.
  llvm::raw_ostream *warnings = nullptr;
  /// Where a target prints its size report, if it has one; nullptr: none.
  llvm::raw_ostream *sizeReport = nullptr;
};

class Target {
public:
  virtual ~Target() = default;
  /// The --target= name: "cpu", "wasm".
  virtual llvm::StringRef name() const = 0;
  /// One line for `kilnc --help` and error messages.
  virtual llvm::StringRef summary() const = 0;
  /// An error for options this target cannot serve. The default accepts
  /// everything but --cpu and --cpu-features other than host.
  virtual llvm::Error checkOptions(const TargetOptions &options) const;
  /// Whether kiln-fuse-blocks runs when the user does not say (measured per
  /// target: codegen/README.md, "block").
  virtual bool fuseBlocksByDefault() const { return false; }
  /// The schedule variants to compile, primary first (the one
  /// `--compile-to=schedules` prints).
  virtual llvm::Expected<std::vector<codegen::ScheduleVariant>>
  variants(const TargetOptions &options) const = 0;
  /// Writes the artifact into options.outputDir from `scheduled`: one module
  /// at phase schedules per variant, in the order variants() gave. Nothing
  /// in the output directory changes unless every file was produced.
  virtual llvm::Error emit(llvm::ArrayRef<mlir::ModuleOp> scheduled,
                           const TargetOptions &options) const = 0;
};

} // namespace kiln

#endif
