//===- Loop.h - the tuning loop's state, shared by its parts ----*- C++ -*-===//
//
// Internal to tuner/ (kiln-tune and the tests use Tuner.h): the one class
// behind `tune` and `measurePool`, declared here so that its parts can live
// in files along their seams. Who owns what:
//   Tuner.cpp      the budget loop (which task next, the database, the
//                  report and the curve), the state the others share
//   Measure.cpp    runner requests, each task's reference outputs, the
//                  compile-then-interleaved-rounds timing of a batch
//   Candidates.cpp what to measure next: seeds, autoschedulers, transfers
//                  from other tasks, evolve / random / grid
//   Confirm.cpp    the paired re-timing of each task's best beside its
//                  template, which decides what kilnc applies
//   Pool.cpp       `measurePool`: a table of one kernel's records for replay
//   Progress.cpp   the live view: a line per kernel, or per batch in a log
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_LOOP_H
#define KILN_TUNER_LOOP_H

#include "tuner/CostModel.h"
#include "tuner/Runner.h"
#include "tuner/SearchSpace.h"
#include "tuner/Tuner.h"

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace kiln::tuner::detail {

using codegen::MeasureStatus;
using codegen::ScheduleMode;
using codegen::ScheduleRecord;
using codegen::TuningRecord;

struct Measurement {
  MeasureStatus status = MeasureStatus::Ok;
  double medianMs = 0, minMs = 0, spread = 0;
  std::string message;
};

/// A runner and what it holds: the generation its references were made in.
struct Worker {
  std::unique_ptr<RunnerProcess> process;
  std::map<size_t, unsigned> referenceGeneration; ///< task -> generation
};

/// The records of Halide's autoschedulers for a task (Candidates.cpp).
std::vector<ScheduleRecord> autoschedulerRecords(const Task &task);

class Loop {
public:
  Loop(const std::vector<Task> &tasks, const codegen::TargetFingerprint &target,
       const codegen::TargetInfo &targetInfo, const TuneOptions &options,
       mlir::MLIRContext *context);

  llvm::Expected<TuneReport> run();
  llvm::Error runPool(unsigned size, unsigned chunk);

private:
  struct TaskState {
    std::string path;                   ///< the task module, for runners
    std::map<std::string, double> okMs; ///< serialised record -> median
    std::set<std::string> seen;
    std::vector<ScheduleRecord> queue; ///< seeds, then the grid
    size_t gridNext = 0;
    bool autoSeeded = false; ///< the autoschedulers' records were queued
    TaskResult result;
  };

  llvm::Error prepare();
  std::vector<ScheduleRecord> nextBatch(size_t t, unsigned size);
  std::vector<Measurement> measure(size_t t, const std::vector<ScheduleRecord> &batch,
                                   Worker *only = nullptr);
  llvm::Error confirm(size_t t);
  llvm::Error record(size_t t, const ScheduleRecord &r, const Measurement &m, bool paired,
                     const std::string &time);
  /// A crash, timeout or compile error: held back from the database until
  /// something runs (Tuner.cpp, "Failures in a row").
  static bool failedToRun(MeasureStatus status);
  llvm::Error flushUnwritten();
  llvm::Error checkMachinery(size_t t);
  bool ensureReference(Worker &worker, size_t t, std::string &why);
  Outcome call(Worker &worker, llvm::json::Object request, llvm::json::Object &reply);
  double modelMs() const;
  /// The budget loop's priority of task `t` (Tuner.cpp).
  double priority(size_t t) const;
  void note(size_t t, const ScheduleRecord &r, const Measurement &m, bool fromDb);
  void queueAutoschedulers(size_t t);
  std::vector<ScheduleRecord> transfersFor(size_t t);
  void evolve(size_t t, unsigned size, std::vector<ScheduleRecord> &batch,
              const std::function<void(const ScheduleRecord &)> &take);

  const std::vector<Task> &tasks;
  codegen::TargetFingerprint target;
  const TuneOptions &options;
  mlir::MLIRContext *context;
  std::mt19937 rng;
  bool gpu; ///< GPU records (spirv): no Halide autoscheduler applies
  std::vector<SearchSpace> spaces;
  std::vector<TaskState> states;
  std::vector<Worker> workers;
  codegen::TuningDb db;
  CostModel model;
  int64_t nextId = 1;
  unsigned trials = 0;
  std::string clock; ///< the runners' "clock" so far (noteClock)
  /// A runner's "device-error" (it can run nothing: its device is unusable,
  /// e.g. a page without shared memory for the threaded module): the tune
  /// stops with it (Tuner.cpp), recording nothing of that batch.
  std::string deviceError;
  struct Unwritten {
    size_t task;
    ScheduleRecord record;
    Measurement measurement;
    std::string time;
  };
  std::vector<Unwritten> unwritten; ///< failures in a row, not yet in the database
  static constexpr size_t kFailureStreak = 16;
};

} // namespace kiln::tuner::detail

#endif
