//===- WasmLink.h - linking one WebAssembly module for a model ---*- C++ -*-===//
//
// The linker step of the WASM target, apart from codegen so that it can be
// driven with any kernel objects: the generated host C, Kiln's runtime and
// the libc shim are compiled with clang-19 for wasm32 (freestanding, with the
// shim's own string.h and stdlib.h), the weights become a data segment, and
// wasm-ld-19 links it all with Halide's runtime into a module that exports
// the model's C API and imports nothing.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_WASM_WASMLINK_H
#define KILN_TARGETS_WASM_WASMLINK_H

#include "targets/host/HostPlan.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::wasm {

struct LinkInputs {
  const host::HostPlan *plan = nullptr;
  /// The model file, for the generated code's comments.
  std::string sourceName;
  /// Built for wasm_simd128: the C is compiled with SIMD and bulk memory too.
  bool simd = true;
  /// Built for wasm_threads (NAME.threads.wasm): atomics, a shared memory
  /// imported from the loader (env.memory) and exported back, the shim's
  /// halide_do_par_for over the loader's workers. Implies simd.
  bool threads = false;
  /// Weights come from the loader at create instead of a data segment.
  bool externalWeights = false;
  /// One object per plan kernel (plan->functionName(k)), and Halide's
  /// runtime, all compiled for the matching Halide wasm target.
  std::vector<std::string> kernelObjects;
  std::string halideRuntimeObject;
  /// With --input-image: the adapter's Halide object and the C that exports
  /// it as kiln_image (ImageAdapter.h); both empty otherwise.
  std::string imageAdapterObject;
  std::string imageAdapterGlue;
};

/// Builds the module into `wasmPath`, using `workDir` (which must exist) for
/// intermediate files. Fails if wasm-ld leaves any import.
llvm::Error linkModule(const LinkInputs &inputs, llvm::StringRef workDir, llvm::StringRef wasmPath);

/// The functions each module exports besides its memory: the model's C API
/// (NAME_create, NAME_run, NAME_destroy, NAME_last_error) and the shim's
/// helpers for the loader (kiln_malloc, kiln_free, kiln_message, ...).
std::vector<std::string> moduleExports(llvm::StringRef modelName);

/// What NAME.threads.wasm exports besides: the workers' entry points.
std::vector<std::string> threadExports();

/// The shared memory's most pages (64 KiB each) for a threaded module:
/// shared memories must declare a maximum, which the engine reserves. 1 GiB
/// is 4x MobileNetV2's whole footprint and fits 32-bit browsers' address
/// space.
constexpr unsigned kThreadsMaxPages = 16384;

/// Where the options struct the loader writes for NAME_create keeps its
/// fields on wasm32 (checked by static assertions compiled into the module).
constexpr unsigned kOptionsSize = 20, kOptionsWeightsOffset = 12, kOptionsWeightsSizeOffset = 16;

} // namespace kiln::wasm

#endif
