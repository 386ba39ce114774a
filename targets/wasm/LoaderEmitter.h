//===- LoaderEmitter.h - a model's ES module loader and its types -*- C++ -*-===//
//
// Prints NAME.mjs and NAME.d.ts. The loader's code is the same for every
// model (targets/wasm/loader/loader.mjs, embedded in the compiler); what is
// generated is the model's description inside it: file names, inputs and
// outputs (names, dtypes, shapes, bytes), the exports it calls, the weights'
// size and checksum.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_WASM_LOADEREMITTER_H
#define KILN_TARGETS_WASM_LOADEREMITTER_H

#include "targets/host/HostPlan.h"
#include "llvm/ADT/ArrayRef.h"

#include <string>

namespace kiln::wasm {

struct LoaderOptions {
  std::string sourceName;
  bool externalWeights = false;
  bool fallback = true;
};

/// The JS dtype name of an element kind ("float32", "int64", "bool", ...).
llvm::StringRef jsDtype(const host::ElementKind &element);

std::string emitLoader(const host::HostPlan &plan, const LoaderOptions &options);
std::string emitTypes(const host::HostPlan &plan, const LoaderOptions &options);

/// 64-bit FNV-1a of the weights: the loader recomputes it (the shim's
/// kiln_fnv1a64) to refuse a weights file from another build.
uint64_t weightsChecksum(llvm::ArrayRef<uint8_t> weights);

/// The files of the artifact, by role.
std::string simdWasmFile(llvm::StringRef model);
std::string fallbackWasmFile(llvm::StringRef model);
std::string weightsFile(llvm::StringRef model);

} // namespace kiln::wasm

#endif
