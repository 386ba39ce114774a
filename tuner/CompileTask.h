//===- CompileTask.h - one candidate, built as kilnc builds -----*- C++ -*-===//
//
// `kiln-tune --compile-task TARGET TASK.mlir OUTDIR [SCHEDULE]` as a library
// call: the node-side runners (tuner/runners/) run it once per candidate,
// in a process of its own, so that a compiler crash on a candidate is that
// candidate's compile-error and not the runner's.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_COMPILETASK_H
#define KILN_TUNER_COMPILETASK_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace kiln::tuner {

/// The artifact of a task module (or of a whole model at phase schedules,
/// with `scheduleText` empty) as kilnc would write it for `targetName`,
/// named "task", in `outDir`; with a schedule, the task's kernel takes that
/// record first. `wasm-threads` builds the WASM target's threaded module
/// alone (task.threads.wasm, its worker and loader: TargetOptions::
/// wasmThreadsOnly). KILN_TUNE_REUSE_RUNTIME=PATH (cpu): copy that
/// libkiln_runtime.a instead of building it.
llvm::Error compileTask(llvm::StringRef targetName, llvm::StringRef taskPath,
                        llvm::StringRef outDir, llvm::StringRef scheduleText);

} // namespace kiln::tuner

#endif
