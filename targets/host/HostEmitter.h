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
  /// For targets whose loader checks run's arguments itself (WASM: in JS,
  /// with a TypeError or RangeError naming the input) and writes create's
  /// options: run and create keep only the checks that stop a crash (NULL
  /// pointers, sizes, ranges), inline, with fixed messages, and no busy flag
  /// (a WASM instance has one thread). The model's tensor tables, the
  /// message formatter and run's checks in the runtime then stay out of the
  /// module: about 2.5 KB less code for BlazeFace front.
  bool leanChecks = false;
  /// Heap scratch the kernels ask Halide for (codegen/Scratch.h), in bytes:
  /// blocks each thread needs, and blocks needed once per run. create()
  /// reserves them (kiln_reserve_scratch) so that runs allocate nothing.
  /// (`{}`: options brace-initialised up to a flag, `{name, external}`, may
  /// leave them out without -Wmissing-field-initializers.)
  std::vector<uint64_t> scratchPerThread{}, scratchOnce{};
};

std::string emitHeader(const HostPlan &plan, const HostOptions &options);
std::string emitSource(const HostPlan &plan, const HostOptions &options);

/// FNV-1a (64-bit) of the weights: NAME.h records it, and so does the
/// header of NAME.weights.bin; create checks external weights against it
/// (runtime/kiln_host.c computes the same: kiln_host_fnv1a64).
uint64_t weightsHash(const std::vector<uint8_t> &weights);

/// The header of NAME.weights.bin (KILN_WEIGHTS_HEADER_SIZE).
constexpr size_t kWeightsHeaderSize = 64;

/// NAME.weights.bin for --weights=external: the header described in
/// runtime/kiln_runtime.h (magic, format, sizes, hash, model name), then the
/// weights. NAME_WEIGHTS_SIZE is its size.
std::string weightsFileContents(const HostPlan &plan);

} // namespace kiln::host

#endif
