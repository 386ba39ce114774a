//===- JitRunner.h - run a whole model in process with Halide's JIT -*- C++ -*-===//
//
// Runs `@main` at phase kernels (or schedules) without building an
// artifact: on its own copy of the module it runs the schedules phase as the
// targets do (packed weights, schedule records), constants become buffers,
// each kiln.kernel is emitted, scheduled and JIT-compiled through the same
// codegen path as the AOT targets, then the kernels run in order. Compiled kernels are cached per
// process by kernelKey, so equal kernels (in one model or across models) compile once. For tests,
// the conformance runner and kiln-run. No Halide in this header.
//
// Thread safety: one JitRunner is used by one thread at a time; several
// runners may run concurrently (a shared compiled kernel is locked while it
// runs).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_JIT_JITRUNNER_H
#define KILN_TARGETS_JIT_JITRUNNER_H

#include "targets/jit/HostTensor.h"
#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln::jit {

struct JitOptions {
  /// Template: the kernel's kiln.schedule record if it has one, else the
  /// template for this machine. An auto mode runs that autoscheduler on
  /// every kernel, whatever record it carries.
  codegen::ScheduleMode mode = codegen::ScheduleMode::Template;
};

/// What compiling one kernel cost.
struct KernelStats {
  std::string kernelName;
  std::string key;
  std::string schedule;      ///< the applied record, printed
  double compileSeconds = 0; ///< 0 when it came from the cache
  bool cached = false;
  /// The fastest of this runner's calls of the kernel so far (seconds;
  /// wall clock, output allocation included), 0 before the first run.
  double bestRunSeconds = 0;
};

class JitRunner {
public:
  /// Prepares `module`'s @main (phase kernels): evaluates constants and
  /// compiles every kernel. Fails with one clear message naming the
  /// kernel and op that cannot be compiled.
  static llvm::Expected<std::unique_ptr<JitRunner>> create(mlir::ModuleOp module,
                                                           const JitOptions &options = {});
  ~JitRunner();

  /// Inputs and outputs as @main declares them (names from kiln.name,
  /// else "input<i>"/"output<i>"), zero-filled.
  const std::vector<HostTensor> &inputSpecs() const;
  const std::vector<HostTensor> &outputSpecs() const;

  /// Runs the model. Inputs are matched by position; each must have the
  /// declared dtype and shape.
  llvm::Expected<std::vector<HostTensor>> run(const std::vector<HostTensor> &inputs);

  const std::vector<KernelStats> &kernelStats() const;

private:
  JitRunner();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace kiln::jit

#endif
