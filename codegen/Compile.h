//===- Compile.h - kernels to object files, ahead of time ---------*- C++ -*-===//
//
// The AOT entry points the targets use. Each kernel becomes an object file
// with no Halide runtime inside, exposing
//   int fn(halide_buffer_t *in0, ..., halide_buffer_t *out0, ...);
// (inputs in kernel-operand order, then outputs in result order; 0 on
// success, a halide_error_code_t otherwise). The runtime is compiled once
// per target with compileRuntimeObject. No Halide in this header.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_COMPILE_H
#define KILN_CODEGEN_COMPILE_H

#include "codegen/Schedule.h"
#include "dialects/kiln/KilnOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln::codegen {

struct CompileOptions {
  /// Used when the kernel carries no kiln.schedule record: the template
  /// mode picks the template for the target, an auto mode runs that
  /// autoscheduler.
  ScheduleMode defaultMode = ScheduleMode::Template;
  /// Also write a C header declaring the function (optional).
  std::string headerPath;
};

struct CompiledKernelInfo {
  std::string functionName;
  ScheduleRecord schedule; ///< the record in effect (see applySchedule)
  double seconds = 0;      ///< emit + schedule + LLVM, wall clock
  /// The object calls halide_malloc: some intermediate is too large or of
  /// non-constant size for the stack. The host must provide memory for it
  /// (see codegen/README.md: halide_malloc hook).
  bool heapAllocates = false;
  /// The object uses Halide's thread pool (halide_do_par_for).
  bool parallel = false;
};

/// Compiles one kernel for `target` ("host" or a Halide target string;
/// no_runtime is added) into `objectPath`.
llvm::Expected<CompiledKernelInfo>
compileKernelObject(KernelOp kernel, llvm::StringRef functionName, llvm::StringRef target,
                    llvm::StringRef objectPath, const CompileOptions &options = {});

/// Writes Halide's runtime for `target` (thread pool, errors, malloc hooks)
/// as one object: link exactly one per program and target.
llvm::Error compileRuntimeObject(llvm::StringRef target, llvm::StringRef objectPath);

/// The record to apply to `kernel`: its kiln.schedule attribute, else the
/// template for `target` (or `defaultMode` when that is an autoscheduler).
llvm::Expected<ScheduleRecord> resolveSchedule(KernelOp kernel, llvm::StringRef target,
                                               ScheduleMode defaultMode);

} // namespace kiln::codegen

#endif
