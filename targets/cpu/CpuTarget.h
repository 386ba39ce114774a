//===- CpuTarget.h - a model as a C static library plus header ---*- C++ -*-===//
//
// `kilnc model --target=cpu -o out/` writes:
//   out/libNAME.a          kernels (Halide, ahead of time, no runtime inside),
//                          the generated entry point, the weights (unless
//                          external)
//   out/NAME.h             the model's C API (see targets/host/HostEmitter.h)
//   out/NAME.weights.bin   only with external weights
//   out/libkiln_runtime.a  Halide's runtime for the target plus Kiln's few
//                          functions: link one per program
//   out/kiln_runtime.h     the shared C declarations NAME.h includes
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_CPU_CPUTARGET_H
#define KILN_TARGETS_CPU_CPUTARGET_H

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln {

struct CpuTargetOptions {
  std::string outputDir;
  std::string modelName;
  std::string sourceName;
  /// Halide target: "host" for this machine's features, or an explicit one
  /// such as "x86-64-linux-avx2-fma-f16c-sse41" to cross-compile.
  std::string halideTarget = "host";
  bool externalWeights = false;
  /// For kernels without a kiln.schedule record: Kiln's templates or one of
  /// Halide's autoschedulers.
  codegen::ScheduleMode scheduleMode = codegen::ScheduleMode::Template;
  /// One line per compiled kernel and a total (targets/common/Progress.h);
  /// nullptr: none.
  llvm::raw_ostream *progress = nullptr;
  /// Warnings (an autoscheduler that failed on a kernel); nullptr: none.
  llvm::raw_ostream *warnings = nullptr;
};

/// Compiles a module at phase kernels (or schedules) into the files above.
/// Nothing in outputDir changes unless every file was produced.
llvm::Error emitCpuArtifact(mlir::ModuleOp module, const CpuTargetOptions &options);

/// Maps --cpu-features ("host", "avx2", "avx512", "sse41") to a Halide
/// target string.
llvm::Expected<std::string> halideTargetForCpuFeatures(llvm::StringRef features);

} // namespace kiln

#endif
