//===- Tuner.h - search schedule records by measuring them ---------*- C++ -*-===//
//
// The tuning loop: for each task (a distinct kernel), candidates are drawn
// from its SearchSpace, compiled and timed by runner processes, checked
// against the template's outputs, and every measurement is appended to the
// tuning database. The budget goes where the time is: each batch is for
// the task with the most to gain (its calls times its best time so far,
// discounted by the trials it already had), so gains re-weight the split.
// A candidate already in the database for this target is not measured
// again: an interrupted tune resumes where it stopped, and the same seed
// and database give the same sequence of candidates.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_TUNER_H
#define KILN_TUNER_TUNER_H

#include "codegen/schedule/TuningDb.h"
#include "tuner/Task.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace kiln::tuner {

struct TuneOptions {
  std::string dbPath;
  unsigned trials = 200; ///< measurements in all (0: until `minutes`)
  double minutes = 0;    ///< wall-clock limit (0: none)
  unsigned seed = 1;
  int threads = 1;               ///< threads the kernels may use while timed
  std::string search = "evolve"; ///< evolve, random or grid
  /// Seed each task with what Halide's three autoschedulers produce.
  bool autoschedulerSeeds = true;
  unsigned workers = 2;         ///< runner processes (compiles run in parallel)
  double timeoutSeconds = 30;   ///< per request (a JIT compile takes seconds)
  std::string runnerExecutable; ///< `kiln-tune` itself
  /// The runner's argv when it is not `kiln-tune --runner` (the WASM
  /// runners: node tuner/runners/wasm_runner.mjs ...); empty: that.
  std::vector<std::string> runnerCommand;
  std::string workDir; ///< task modules are written here
  /// Replay (`kiln-tune --replay`): every candidate is answered from this
  /// table (a database of one measured pool, `pool` below) instead of a
  /// runner, and each task's space is the pool the table holds for it. A
  /// noise-free way to compare searches over many seeds; its limit is that
  /// the table is one measurement.
  const codegen::TuningDb *replay = nullptr;
  llvm::raw_ostream *progress = nullptr;
};

struct TaskResult {
  double templateMs = 0;
  double bestAutoMs = 0; ///< best ok autoscheduler record (0: none)
  double bestMs = 0;
  std::string bestSchedule;
  unsigned trials = 0;   ///< candidates considered (measured now or found in the DB)
  unsigned measured = 0; ///< of them, measured in this run
  unsigned failed = 0;   ///< wrong, crash, timeout or compile-error
};

struct TuneReport {
  std::vector<TaskResult> tasks;
  /// (trials so far, seconds so far, estimated model time in ms: the sum
  /// over tasks of calls x best time) after each batch.
  struct Point {
    unsigned trials;
    double seconds, modelMs;
  };
  std::vector<Point> curve;
  double seconds = 0;
  /// The runners' word for the clock of the search's times (their "run"
  /// replies' "clock", folded by noteClock, Runner.h); "" if nothing ran.
  std::string clock;
};

/// Measures a pool per task instead of searching: the template, the
/// autoschedulers' records and `size` distinct uniform draws from the
/// space (seeded), in chunks of `chunk` candidates, each chunk timed in
/// interleaved rounds beside the template. Each candidate's median is
/// recorded relative to its chunk's template time, scaled to the template's
/// time in the first chunk, so that a change of load between chunks does
/// not rank them. Resumes: records already in the database are kept.
llvm::Error measurePool(const std::vector<Task> &tasks, const codegen::TargetFingerprint &target,
                        const codegen::TargetInfo &targetInfo, const TuneOptions &options,
                        unsigned size, unsigned chunk, mlir::MLIRContext *context);

/// "2026-12-07T02:10:00Z": the database's time stamps.
std::string utcNow();

llvm::Expected<TuneReport> tune(const std::vector<Task> &tasks,
                                const codegen::TargetFingerprint &target,
                                const codegen::TargetInfo &targetInfo, const TuneOptions &options,
                                mlir::MLIRContext *context);

/// One whole-model measurement by a runner: the module (phase schedules,
/// printed to `path`) timed `iterations` times; with `reference` its
/// outputs become the reference for later models on the same runner.
struct ModelTiming {
  double medianMs = 0;
  double error = 0;
  std::string status;
};

} // namespace kiln::tuner

#endif
