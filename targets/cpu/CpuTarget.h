//===- CpuTarget.h - a model as a C static library plus header ---*- C++ -*-===//
//
// `kilnc model --target=cpu -o out/` writes:
//   out/libNAME.a          kernels (Halide, ahead of time, no runtime inside),
//                          the generated entry point, the weights (unless
//                          external)
//   out/NAME.h             the model's C API (see targets/host/HostEmitter.h)
//   out/NAME.weights.bin   only with external weights: a header (magic,
//                          sizes, checksum; runtime/kiln_runtime.h), then
//                          the weights
//   out/libkiln_runtime.a  Halide's runtime for the target plus Kiln's few
//                          functions: link one per program
//   out/kiln_runtime.h     the shared C declarations NAME.h includes
//
// For this machine (x86-64), or cross-compiled for arm64 Linux, Android or
// iOS (`--cpu`, targets/cpu/CpuPlatform.h): the same files and header.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_CPU_CPUTARGET_H
#define KILN_TARGETS_CPU_CPUTARGET_H

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "targets/common/Target.h"
#include "targets/cpu/CpuPlatform.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln {

/// `--target=cpu`: one variant, the Halide target of --cpu and --cpu-features.
class CpuTarget : public Target {
public:
  llvm::StringRef name() const override { return "cpu"; }
  llvm::StringRef summary() const override {
    return "a C static library plus header (this machine, or arm64 with --cpu)";
  }
  llvm::Error checkOptions(const TargetOptions &options) const override;
  /// Measured faster on the CPU (codegen/README.md, "block").
  bool fuseBlocksByDefault() const override { return true; }
  llvm::Expected<std::vector<codegen::ScheduleVariant>>
  variants(const TargetOptions &options) const override;
  llvm::Error emit(llvm::ArrayRef<mlir::ModuleOp> scheduled,
                   const TargetOptions &options) const override;
};

/// What emitCpuArtifact needs, resolved from TargetOptions.
struct CpuTargetOptions {
  std::string outputDir;
  std::string modelName;
  std::string sourceName;
  /// What to build for: Halide's target, the C compiler and its flags
  /// (resolveCpuPlatform; the default is this machine).
  CpuPlatform platform;
  bool externalWeights = false;
  /// TargetOptions::reuseRuntime.
  std::string reuseRuntime;
  /// What the user asked for, for progress lines and fallback warnings.
  codegen::ScheduleMode scheduleMode = codegen::ScheduleMode::Template;
  /// One line per compiled kernel and a total (targets/common/Progress.h);
  /// nullptr: none.
  llvm::raw_ostream *progress = nullptr;
  /// Warnings (an autoscheduler that failed on a kernel); nullptr: none.
  llvm::raw_ostream *warnings = nullptr;
};

/// Compiles a module at phase schedules into the files above.
/// Nothing in outputDir changes unless every file was produced.
llvm::Error emitCpuArtifact(mlir::ModuleOp module, const CpuTargetOptions &options);

} // namespace kiln

#endif
