//===- WasmTarget.h - a model as a WebAssembly module plus ES loader -*- C++ -*-===//
//
// `kilnc model --target=wasm -o out/` writes:
//   out/NAME.wasm          kernels (Halide, wasm-32-wasmrt-wasm_simd128), the
//                          generated host code, Halide's runtime, a small C
//                          shim instead of libc, the weights (unless external);
//                          it imports nothing
//   out/NAME.nosimd.wasm   the same without SIMD (unless fallback is off)
//   out/NAME.threads.wasm  with --threads: SIMD, wasm_threads, shared memory,
//   out/NAME.worker.mjs    and the script of the loader's workers
//   out/NAME.mjs           ES module: load(), run({name: TypedArray}), dispose()
//   out/NAME.d.ts          its TypeScript types
//   out/NAME.weights.bin   only with external weights, fetched by the loader
//   out/NAME.size.json     the size report (code, weights, JS; raw and gzip)
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_WASM_WASMTARGET_H
#define KILN_TARGETS_WASM_WASMTARGET_H

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "targets/common/Target.h"
#include "targets/wasm/ImageAdapter.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln {

/// `--target=wasm`: two variants, wasm_simd128 and (unless --no-fallback)
/// plain wasm for engines without SIMD; the fallback's records are its own.
class WasmTarget : public Target {
public:
  llvm::StringRef name() const override { return "wasm"; }
  llvm::StringRef summary() const override {
    return "a WebAssembly module plus an ES-module loader";
  }
  /// Also parses the image adapter's options (--input-image, ...).
  llvm::Error checkOptions(const TargetOptions &options) const override;
  llvm::Expected<std::vector<codegen::ScheduleVariant>>
  variants(const TargetOptions &options) const override;
  llvm::Error emit(llvm::ArrayRef<mlir::ModuleOp> scheduled,
                   const TargetOptions &options) const override;
};

/// What emitWasmArtifact needs, resolved from TargetOptions.
struct WasmTargetOptions {
  std::string outputDir;
  std::string modelName;
  std::string sourceName;
  bool externalWeights = false;
  /// Also build NAME.nosimd.wasm for engines without WebAssembly SIMD; the
  /// loader picks one by feature detection.
  bool fallback = true;
  /// Also build NAME.threads.wasm (and NAME.worker.mjs): the loader runs it
  /// on a pool of workers where the page is cross-origin isolated.
  bool threads = false;
  /// Only NAME.threads.wasm, its worker and loader (kiln-tune's runner: a
  /// candidate measured on a pool of workers); no size report. Set with
  /// threads on and fallback off (WasmTarget::emit does).
  bool threadsOnly = false;
  /// Also build NAME.relaxed.wasm (and with threads NAME.relaxed.threads.wasm):
  /// the same kernels with f32x4.relaxed_madd (RelaxedSimd.h); the loader
  /// picks them where the engine validates relaxed SIMD.
  bool relaxedSimd = false;
  /// Keep Halide's checks in the kernels (buffer asserts, bounds queries).
  /// The host code binds every buffer with its static shape, so they never
  /// fire in a correct build; off, BlazeFace's code shrinks from 440 KB to
  /// 114 KB at the same speed. On, a schedule reading out of bounds fails
  /// with Halide's message instead of reading a neighbour's bytes.
  bool kernelChecks = false;
  /// --input-image and its options: an adapter from RGBA frames compiled
  /// into every module (ImageAdapter.h); image.input empty: none.
  wasm::ImageAdapterSpec image;
  /// What the user asked for, for progress lines and fallback warnings.
  codegen::ScheduleMode scheduleMode = codegen::ScheduleMode::Template;
  /// Where to print the size report (nullptr: only NAME.size.json).
  llvm::raw_ostream *sizeReport = nullptr;
  /// One line per compiled kernel and a total per module
  /// (targets/common/Progress.h); nullptr: none.
  llvm::raw_ostream *progress = nullptr;
  /// Warnings (an autoscheduler that failed on a kernel); nullptr: none.
  llvm::raw_ostream *warnings = nullptr;
};

/// The Halide targets of the two modules.
constexpr const char *kWasmSimdHalideTarget = "wasm-32-wasmrt-wasm_simd128";
constexpr const char *kWasmHalideTarget = "wasm-32-wasmrt";
/// The threaded module's: atomics (and so shared memory) in the kernels.
constexpr const char *kWasmThreadsHalideTarget = "wasm-32-wasmrt-wasm_simd128-wasm_threads";

/// Compiles the model into the files above from `simd` (phase schedules, for
/// kWasmSimdHalideTarget), when options.fallback `fallback` (the same
/// model scheduled for kWasmHalideTarget) and, when options.threads,
/// `threads` (scheduled for kWasmThreadsHalideTarget; null: `simd`'s
/// schedules). With options.threadsOnly only `threads` is read. Nothing in
/// outputDir changes unless every file was produced.
llvm::Error emitWasmArtifact(mlir::ModuleOp simd, mlir::ModuleOp fallback, mlir::ModuleOp threads,
                             const WasmTargetOptions &options);

} // namespace kiln

#endif
