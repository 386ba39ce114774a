//===- HostEmitter.h - a model's C header and entry point ---------*- C++ -*-===//
//
// Prints the generated C for a HostPlan: NAME.h (the model's public API, see
// runtime/kiln_runtime.h for the shared part) and NAME.c (create/run/destroy:
// binds each kernel's halide_buffer_t arguments to inputs, outputs, weights
// and arena offsets, and calls the kernels in order). The same C serves the
// static library and the WASM module.
//
// Both are filled from templates (targets/host/templates/model.{c,h}.in)
// with the model's tables. NAME.c includes runtime/kiln_host.h: what every
// model's code shares is compiled once into the runtime, so a target must
// put kiln_host.h beside NAME.c and compile kiln_host.c into its runtime.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_HOST_HOSTEMITTER_H
#define KILN_TARGETS_HOST_HOSTEMITTER_H

#include "targets/host/HostPlan.h"

#include <string>
#include <vector>

namespace kiln::host {

struct HostOptions {
  /// The model file the code came from, for the header's comment.
  std::string sourceName;
  /// Weights come from the caller at create (NAME.weights.bin) instead of
  /// being linked in as read-only data.
  bool externalWeights = false;
  /// Drives the kernels from tables (one row per call and per argument, a
  /// loop, one switch over the kernels) instead of unrolled binding code:
  /// the same calls in a fraction of the bytes (BlazeFace: 3 KB of code and
  /// tables instead of 16 KB), for targets that ship code over the network.
  bool compactCalls = false;
  /// create() installs Kiln's Halide error handler (runtime/kiln_runtime.c):
  /// a failing kernel returns KILN_KERNEL_FAILED with Halide's message
  /// instead of Halide's default, which prints and aborts. Targets with a
  /// handler of their own (WASM's shim) leave it off.
  bool installErrorHandler = false;
  /// Heap scratch the kernels ask Halide for (codegen/Scratch.h), in bytes:
  /// blocks each thread needs, and blocks needed once per run. create()
  /// reserves them (kiln_reserve_scratch) so that runs allocate nothing.
  /// (`{}`: options brace-initialised up to a flag, `{name, external}`, may
  /// leave them out without -Wmissing-field-initializers.)
  std::vector<uint64_t> scratchPerThread{}, scratchOnce{};
};

std::string emitHeader(const HostPlan &plan, const HostOptions &options);
std::string emitSource(const HostPlan &plan, const HostOptions &options);

/// FNV-1a of the weights: the header records it so that a mismatched
/// external weights file is refused at create.
uint64_t weightsHash(const std::vector<uint8_t> &weights);

} // namespace kiln::host

#endif
