//===- WasmTarget.h - a model as a WebAssembly module plus ES loader -*- C++ -*-===//
//
// `kilnc model --target=wasm -o out/` writes:
//   out/NAME.wasm          kernels (Halide, wasm-32-wasmrt-wasm_simd128), the
//                          generated host code, Halide's runtime, a small C
//                          shim instead of libc, the weights (unless external);
//                          it imports nothing
//   out/NAME.nosimd.wasm   the same without SIMD (unless fallback is off)
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
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln {

struct WasmTargetOptions {
  std::string outputDir;
  std::string modelName;
  std::string sourceName;
  bool externalWeights = false;
  /// Also build NAME.nosimd.wasm for engines without WebAssembly SIMD; the
  /// loader picks one by feature detection.
  bool fallback = true;
  /// Keep Halide's checks in the kernels (buffer asserts, bounds queries).
  /// The host code binds every buffer with its static shape, so they never
  /// fire in a correct build; off, BlazeFace's code shrinks from 440 KB to
  /// 114 KB at the same speed. On, a schedule reading out of bounds fails
  /// with Halide's message instead of reading a neighbour's bytes.
  bool kernelChecks = false;
  /// For kernels without a kiln.schedule record: Kiln's templates or one of
  /// Halide's autoschedulers.
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

/// Compiles a module at phase kernels (or schedules) into the files above.
/// Runs the schedules phase itself on a copy per module (SIMD, fallback):
/// records already attached must have been chosen for wasm_simd128; the
/// fallback module always gets its own. The module itself is not changed.
/// Nothing in outputDir changes unless every file was produced.
llvm::Error emitWasmArtifact(mlir::ModuleOp module, const WasmTargetOptions &options);

} // namespace kiln

#endif
