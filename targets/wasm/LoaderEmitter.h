//===- LoaderEmitter.h - a model's ES module loader and its types -*- C++ -*-===//
//
// Prints NAME.mjs and NAME.d.ts. The loader's code is the same for every
// model (targets/wasm/loader/loader.mjs, embedded in the compiler); what is
// generated is the model's description inside it: file names, inputs and
// outputs (names, dtypes, shapes, bytes), the exports it calls, the size of
// the weights file (whose header and checksum the module's create checks).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_WASM_LOADEREMITTER_H
#define KILN_TARGETS_WASM_LOADEREMITTER_H

#include "targets/host/HostPlan.h"
#include "targets/wasm/ImageAdapter.h"

#include <string>

namespace kiln::wasm {

/// What the loader needs to start NAME.threads.wasm: the shared memory it
/// creates (the module imports it) and the stack of each worker.
struct ThreadsInfo {
  uint64_t initialPages = 0;
};

struct LoaderOptions {
  std::string sourceName;
  bool externalWeights = false;
  bool fallback = true;
  /// Null without --threads.
  const ThreadsInfo *threads = nullptr;
  /// --relaxed-simd: NAME.relaxed.wasm (and NAME.relaxed.threads.wasm) exist.
  bool relaxed = false;
  /// Null without --input-image.
  const ImageAdapterPlan *image = nullptr;
};

/// The JS dtype name of an element kind ("float32", "int64", "bool", ...).
llvm::StringRef jsDtype(const host::ElementKind &element);

std::string emitLoader(const host::HostPlan &plan, const LoaderOptions &options);
std::string emitTypes(const host::HostPlan &plan, const LoaderOptions &options);
/// NAME.worker.mjs: the script of the loader's workers (loader/worker.mjs).
std::string emitWorker(const host::HostPlan &plan, const LoaderOptions &options);
/// kiln-vision.mjs and its .d.ts (vision/): the decoders written beside an
/// image model's loader (--input-image), unchanged.
llvm::StringRef visionModule();
llvm::StringRef visionTypes();

/// The files of the artifact, by role.
std::string simdWasmFile(llvm::StringRef model);
std::string fallbackWasmFile(llvm::StringRef model);
std::string weightsFile(llvm::StringRef model);
std::string threadsWasmFile(llvm::StringRef model);
/// With --relaxed-simd: the SIMD and threaded modules with relaxed_madd.
std::string relaxedWasmFile(llvm::StringRef model);
std::string relaxedThreadsWasmFile(llvm::StringRef model);
std::string workerFile(llvm::StringRef model);

} // namespace kiln::wasm

#endif
