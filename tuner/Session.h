//===- Session.h - a model's tune, as kiln-tune runs it ---------*- C++ -*-===//
//
// The steps of `kiln-tune MODEL` around the search itself (Tuner.h), as
// library calls so that the tool only parses options and calls them in
// order: the model taken to its tasks as kilnc takes it (phase kernels,
// then the target's templates), the choice of tasks (--kernels, --retune),
// the replay table (--replay), and the report printed at the end.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_SESSION_H
#define KILN_TUNER_SESSION_H

#include "codegen/schedule/Schedule.h"
#include "codegen/schedule/TuningDb.h"
#include "compiler/driver/Driver.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "targets/Targets.h"
#include "tuner/Task.h"
#include "tuner/Tuner.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln::tuner {

/// A model cut into the tasks a tune searches.
struct ModelTasks {
  mlir::OwningOpRef<mlir::ModuleOp> model; ///< at phase kernels: the acceptance builds it
  codegen::ScheduleVariant variant;        ///< the target's primary variant, tasks scheduled for it
  codegen::TargetInfo targetInfo;
  codegen::TargetFingerprint fingerprint; ///< this host, `device`, `threads`
  std::vector<Task> tasks;
  /// MLIR diagnostics on this context from loading on: the phases' own
  /// are in the errors that report a failure; later ones (the acceptance's
  /// builds) are collected here too, off the progress lines, while this
  /// object lives.
  struct Diagnostics {
    std::string text;
    llvm::raw_string_ostream stream{text};
    llvm::SourceMgr sourceMgr;
    std::unique_ptr<mlir::SourceMgrDiagnosticHandler> handler;
  };
  std::unique_ptr<Diagnostics> diagnostics;
};

/// The model at `driverOptions.inputPath` loaded, taken to phase kernels
/// for the primary variant of `target`, and its distinct kernels cut into
/// tasks with their templates.
llvm::Expected<ModelTasks> loadModelTasks(mlir::MLIRContext &context,
                                          const DriverOptions &driverOptions, const Target &target,
                                          llvm::StringRef device, int threads);

/// --kernels: only the tasks named, in that order (an identity, a prefix of
/// one, or a summary).
llvm::Error selectKernels(std::vector<Task> &tasks, llvm::ArrayRef<std::string> kernels);

/// --retune: only the tasks whose template changed since the database at
/// `dbPath` tuned them, and those it never measured; a line on `progress`
/// counts them.
llvm::Error keepStaleTasks(std::vector<Task> &tasks, llvm::StringRef dbPath,
                           const codegen::TargetFingerprint &fingerprint,
                           mlir::MLIRContext *context, llvm::raw_ostream &progress);

/// `kiln-tune tasks`: one line per task (identity, calls, summary, template
/// record) under a header naming `modelName` and the fingerprint.
void printTasks(const ModelTasks &model, llvm::StringRef modelName, mlir::MLIRContext *context,
                llvm::raw_ostream &out);

/// --replay: the table at `path`, which must hold records of every task.
llvm::Expected<codegen::TuningDb>
loadReplayTable(llvm::StringRef path, const std::vector<Task> &tasks, llvm::raw_ostream &diag);

/// The table at the end of a tune (per task: template, best autoscheduler,
/// tuned, speed-up, trials) and the sum over calls; returns the template's
/// sum (the tuning curve's reference line).
double printTuneTable(const std::vector<Task> &tasks, const TuneReport &report,
                      llvm::raw_ostream &out);

/// --curve-data: the curve's points as TSV, for comparing tunes in one
/// picture (benchmarks/tuner/compare_search.mjs, replay.mjs).
llvm::Error writeCurveData(llvm::StringRef path, const TuneReport &report, llvm::StringRef search,
                           unsigned seed);

} // namespace kiln::tuner

#endif
