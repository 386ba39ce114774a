//===- JitRunner.h - run a whole model in process with Halide's JIT -*- C++ -*-===//
//
// The in-process target: runs `@main` at phase schedules without building an
// artifact. The model is planned exactly as the C and WASM hosts plan it
// (targets/host/HostPlan.h: deduplicated kernels, one arena, in-place
// results), each distinct kiln.kernel is emitted, scheduled by its record and
// JIT-compiled through the same codegen path as the AOT targets, then the
// calls run in order over views of the arena. Compiled kernels are cached
// per process by kernelKey and record, so equal kernels (in one model or
// across models) compile once. For tests, the conformance runner and
// kiln-run. No Halide in this header.
//
// Thread safety: one JitRunner is used by one thread at a time; several
// runners may run concurrently (a shared compiled kernel is locked while it
// runs).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_JIT_JITRUNNER_H
#define KILN_TARGETS_JIT_JITRUNNER_H

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "targets/jit/HostTensor.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::jit {

/// What compiling one kernel cost.
struct KernelStats {
  std::string kernelName; ///< the call's kiln.kernel name
  std::string key;
  std::string schedule;      ///< the applied record, printed
  double compileSeconds = 0; ///< 0 when it came from the cache
  bool cached = false;
  /// The fastest of this runner's calls of the kernel so far (seconds;
  /// wall clock, output allocation included), 0 before the first run.
  double bestRunSeconds = 0;
};

/// The JIT's one schedule variant: this machine's features. Records already
/// attached are kept for Kiln's templates and replaced when an autoscheduler
/// is asked for (it runs on every kernel, whatever record it carries).
codegen::ScheduleVariant jitVariant(codegen::ScheduleMode mode);

class JitRunner {
public:
  /// Prepares `module`'s @main (phase schedules: every kernel carries its
  /// record; compiler/pipeline's runSchedulesPhase with jitVariant()):
  /// plans it as the C host does (targets/host/HostPlan.h) and compiles
  /// every distinct kernel. Fails with one clear message naming the kernel
  /// and op that cannot be compiled, or the kernel without a record.
  static llvm::Expected<std::unique_ptr<JitRunner>> create(mlir::ModuleOp module);
  ~JitRunner();

  /// Inputs and outputs as @main declares them (names from kiln.name,
  /// else "input<i>"/"output<i>"), zero-filled.
  const std::vector<HostTensor> &inputSpecs() const;
  const std::vector<HostTensor> &outputSpecs() const;

  /// Runs the model. Inputs are matched by position; each must have the
  /// declared dtype and shape.
  llvm::Expected<std::vector<HostTensor>> run(const std::vector<HostTensor> &inputs);

  /// The seed of the model's random ops (compiler/import/common/Random.h),
  /// 0 until set; also restarts the run counter, so that the runs after
  /// setSeed(s) sample what a C or WASM context's runs after set_seed(s) do.
  /// Every run advances the counter.
  void setSeed(uint64_t seed);

  const std::vector<KernelStats> &kernelStats() const;

private:
  JitRunner();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace kiln::jit

#endif
