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

#include "codegen/halide/Scratch.h"
#include "codegen/schedule/Schedule.h"
#include "dialects/kiln/KilnOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln::codegen {

struct CompileOptions {
  /// Also write a C header declaring the function (optional).
  std::string headerPath;
  /// Also write the kernel's LLVM bitcode (LLVM 14's, from the same
  /// lowering), for a later pass over it (optional; targets/wasm's relaxed
  /// SIMD module).
  std::string bitcodePath;
  /// When an autoscheduler's schedule fails to compile (a Halide 14 bug we
  /// have no workaround for), compile the kernel with the template knobs its
  /// record carries instead: CompiledKernelInfo::fallbackReason says why.
  /// Off, the failure is an error.
  bool fallbackToTemplate = true;
};

struct CompiledKernelInfo {
  std::string functionName;
  ScheduleRecord schedule; ///< the record in effect (see applySchedule)
  double seconds = 0;      ///< emit + schedule + LLVM, wall clock
  /// The object calls halide_malloc: some intermediate is too large or of
  /// non-constant size for the stack. The host must provide memory for it
  /// (see codegen/README.md: halide_malloc hook).
  bool heapAllocates = false;
  /// What it allocates there, read from the lowered kernel (Scratch.h).
  KernelScratch scratch;
  /// The object uses Halide's thread pool (halide_do_par_for).
  bool parallel = false;
  /// Non-empty when the requested autoscheduler failed and the template
  /// was used (see CompileOptions::fallbackToTemplate): the failure, one line.
  std::string fallbackReason;
};

/// How `info`'s kernel was scheduled, for progress lines: "auto:adams2019",
/// "template:conv1x1", or "template:generic (auto:li2018 failed)".
std::string scheduleLabel(const CompiledKernelInfo &info, ScheduleMode requested);

/// The one-line warning for a kernel that fell back to its template
/// ("kernel 'k': auto:adams2019 failed (...); compiled with the template
/// schedule"); empty when it did not.
std::string fallbackWarning(llvm::StringRef kernelName, const CompiledKernelInfo &info,
                            ScheduleMode requested);

/// Compiles one kernel for `target` ("host" or a Halide target string;
/// no_runtime is added) into `objectPath`, as its kiln.schedule record says
/// (a kernel without one is an error: the schedules phase attaches them).
llvm::Expected<CompiledKernelInfo>
compileKernelObject(KernelOp kernel, llvm::StringRef functionName, llvm::StringRef target,
                    llvm::StringRef objectPath, const CompileOptions &options = {});

/// Writes Halide's runtime for `target` (thread pool, errors, malloc hooks)
/// as one object: link exactly one per program and target.
llvm::Error compileRuntimeObject(llvm::StringRef target, llvm::StringRef objectPath);

} // namespace kiln::codegen

#endif
