//===- Tuner.cpp - search schedule records by measuring them --------------===//
//
// The budget loop (Tuner.h): which task gets the next batch, what the
// database already knows, the records appended, the progress lines, the
// report and its curve; and the state the loop's other parts share
// (Loop.h says which file owns which part).
//
//===----------------------------------------------------------------------===//
#include "tuner/Tuner.h"

#include "compiler/support/Error.h"
#include "tuner/Loop.h"
#include "tuner/Progress.h"
#include "tuner/Version.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

namespace kiln::tuner {

using codegen::MeasureStatus;
using codegen::ScheduleMode;
using codegen::ScheduleRecord;
using codegen::TuningRecord;

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

namespace detail {

Loop::Loop(const std::vector<Task> &tasks, const codegen::TargetFingerprint &target,
           const codegen::TargetInfo &targetInfo, const TuneOptions &options,
           mlir::MLIRContext *context)
    : tasks(tasks), target(target), options(options), context(context), rng(options.seed),
      gpu(targetInfo.isGpu) {
  for (const Task &task : tasks)
    spaces.emplace_back(task, targetInfo);
  states.resize(tasks.size());
  if (options.replay)
    for (size_t t = 0; t < tasks.size(); ++t) {
      std::vector<ScheduleRecord> pool;
      for (const TuningRecord &r : options.replay->records)
        if (r.kernel == tasks[t].identity && !r.paired) {
          auto parsed = ScheduleRecord::parse(r.schedule, context);
          if (parsed)
            pool.push_back(*parsed);
          else
            llvm::consumeError(parsed.takeError());
        }
      spaces[t].restrictTo(std::move(pool));
    }
  // Runners' stderr (a crashing candidate's stack dump) goes to a log
  // beside the task modules, not over the progress lines.
  auto log = [&](unsigned w) { return options.workDir + "/runner" + std::to_string(w) + ".log"; };
  for (unsigned w = 0; w < std::max(1u, options.workers); ++w)
    workers.push_back(Worker{
        options.runnerCommand.empty()
            ? std::make_unique<RunnerProcess>(options.runnerExecutable, options.threads, log(w))
            : std::make_unique<RunnerProcess>(options.runnerCommand, options.threads, log(w)),
        {}});
}

llvm::Error Loop::prepare() {
  auto loaded = codegen::loadTuningDb(options.dbPath);
  if (!loaded)
    return loaded.takeError();
  db = std::move(*loaded);
  if (options.progress)
    for (const std::string &w : db.warnings)
      *options.progress << "kiln-tune: warning: " << w << "\n";
  if (auto ec = llvm::sys::fs::create_directories(options.workDir))
    return makeError("cannot create '" + options.workDir + "': " + ec.message());
  for (size_t t = 0; t < tasks.size(); ++t) {
    TaskState &s = states[t];
    llvm::SmallString<256> path(options.workDir);
    llvm::sys::path::append(path, "task" + std::to_string(t) + ".mlir");
    s.path = path.str().str();
    if (auto err = llvm::writeToOutput(s.path, [&](llvm::raw_ostream &os) {
          os << tasks[t].moduleText;
          return llvm::Error::success();
        }))
      return err;
    // Every search measures the template first: it is the reference, the
    // baseline and the cost model's unit. The autoschedulers' records come
    // later and only where the task's share of the time warrants them
    // (queueAutoschedulers).
    s.queue.push_back(tasks[t].templateRecord);
  }
  return llvm::Error::success();
}

// The task with the most to gain: a task not yet measured first (its
// template time is its weight), then calls x best / sqrt(1 + trials).
double Loop::priority(size_t t) const {
  const TaskResult &r = states[t].result;
  return r.trials == 0 ? INFINITY
                       : tasks[t].calls * std::max(r.bestMs, 1e-6) / std::sqrt(1.0 + r.trials);
}

double Loop::modelMs() const {
  double total = 0;
  for (size_t t = 0; t < tasks.size(); ++t)
    total += tasks[t].calls * states[t].result.bestMs;
  return total;
}

void Loop::note(size_t t, const ScheduleRecord &r, const Measurement &m, bool fromDb) {
  TaskResult &res = states[t].result;
  ++res.trials;
  ++trials;
  if (!fromDb)
    ++res.measured;
  // The cost model learns every outcome, relative to the template (which
  // is measured first); a failure trains as much slower.
  bool isTemplate = r == tasks[t].templateRecord;
  if (r.mode == ScheduleMode::Template && (isTemplate || res.templateMs > 0))
    model.add(tasks[t], r,
              m.status != MeasureStatus::Ok ? 0
              : isTemplate                  ? 1
                                            : m.medianMs / res.templateMs);
  if (m.status != MeasureStatus::Ok) {
    ++res.failed;
    return;
  }
  std::string key = r.serialize(context);
  states[t].okMs[key] = m.medianMs;
  if (r == tasks[t].templateRecord)
    res.templateMs = m.medianMs;
  if (r.mode != ScheduleMode::Template && (res.bestAutoMs == 0 || m.medianMs < res.bestAutoMs))
    res.bestAutoMs = m.medianMs;
  if (res.bestMs == 0 || m.medianMs < res.bestMs) {
    res.bestMs = m.medianMs;
    res.bestSchedule = key;
  }
}

llvm::Error Loop::record(size_t t, const ScheduleRecord &r, const Measurement &m, bool paired,
                         const std::string &time) {
  TuningRecord rec;
  rec.kernel = tasks[t].identity;
  rec.summary = tasks[t].summary;
  rec.target = target;
  // The runners' word for what ran the code (one device: the first that
  // said it).
  for (const Worker &w : workers)
    if (w.process && !w.process->deviceVersion().empty()) {
      rec.target.deviceVersion = w.process->deviceVersion();
      break;
    }
  rec.schedule = r.serialize(context);
  rec.medianMs = m.medianMs;
  rec.minMs = m.minMs;
  rec.spread = m.spread;
  rec.status = m.status;
  rec.kilnVersion = kilnVersion();
  rec.time = time;
  rec.paired = paired;
  // What this tune measures its candidates against: kilnc applies a record
  // only if its pair's baseline is still the kernel's template.
  rec.baseline = r == tasks[t].templateRecord;
  if (llvm::Error err = codegen::appendRecord(options.dbPath, rec))
    return err;
  db.records.push_back(rec);
  return llvm::Error::success();
}

// Failures in a row, and what they say about the measuring machinery. A
// candidate that crashes, hangs or does not compile is the candidate's
// fault as long as the template still runs; when the machinery itself
// breaks under a tune (kiln-tune relinked or removed while it ran: every
// --compile-task fails; a runner or browser gone), every candidate fails
// and each would be written to the database as bad, where a resumed tune
// would never measure it again (on this machine, 2026-12-07: 2500 FaceMesh
// candidates recorded crash or compile-error in 10 s after a rebuild).
// So such failures are written only once something after them ran, or
// after the template, measured again, still runs; if it does not, the tune
// stops with an error and writes none of them.
bool Loop::failedToRun(MeasureStatus status) {
  return status == MeasureStatus::Crash || status == MeasureStatus::Timeout ||
         status == MeasureStatus::CompileError;
}

llvm::Error Loop::flushUnwritten() {
  for (const Unwritten &u : unwritten)
    if (llvm::Error err = record(u.task, u.record, u.measurement, false, u.time))
      return err;
  unwritten.clear();
  return llvm::Error::success();
}

llvm::Error Loop::checkMachinery(size_t t) {
  Measurement check = measure(t, {tasks[t].templateRecord})[0];
  if (!failedToRun(check.status))
    return flushUnwritten();
  std::string message = check.message.empty() ? "no message" : check.message;
  if (message.size() > 300)
    message = message.substr(0, 300) + "...";
  return makeError(
      "stopped: the last " + llvm::Twine(unwritten.size()) +
      " candidates failed (crash, timeout or compile error) and task " + llvm::Twine(t) +
      "'s "
      "template (" +
      tasks[t].summary + "), measured again, failed too (" + measureStatusName(check.status) +
      ": " + message +
      "): the measuring machinery broke, not the candidates (kiln-tune rebuilt or removed "
      "while it ran? a runner or browser gone?). Those " +
      llvm::Twine(unwritten.size()) + " were not written to " + options.dbPath +
      "; every measurement before them was. Mend the cause and run the same command again "
      "to resume");
}

llvm::Expected<TuneReport> Loop::run() {
  if (llvm::Error err = prepare())
    return std::move(err);
  TuneReport report;
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  unsigned batchSize = std::max(1u, options.workers);
  std::vector<bool> exhausted(tasks.size(), false);
  Progress progress(options.progress, options.progress && Progress::wantLive(*options.progress),
                    tasks, options);
  while (true) {
    if (options.trials && trials >= options.trials)
      break;
    if (options.minutes > 0 && elapsed() > options.minutes * 60)
      break;
    size_t pick = tasks.size();
    double bestPriority = -1;
    for (size_t t = 0; t < tasks.size(); ++t)
      if (!exhausted[t] && priority(t) > bestPriority) {
        bestPriority = priority(t);
        pick = t;
      }
    if (pick == tasks.size())
      break;
    unsigned size = batchSize;
    if (options.trials)
      size = std::min(size, options.trials - trials);
    std::vector<ScheduleRecord> batch = nextBatch(pick, size);
    if (batch.empty()) {
      exhausted[pick] = true;
      continue;
    }
    // What the database already knows for this target is not measured
    // again.
    std::vector<ScheduleRecord> toMeasure;
    for (const ScheduleRecord &r : batch) {
      std::string key = r.serialize(context);
      const TuningRecord *known = nullptr;
      for (const TuningRecord &rec : db.records)
        // Paired re-timings are not the search's: a resumed search must see
        // what it saw the first time, to draw the same candidates.
        if (rec.kernel == tasks[pick].identity && rec.target == target && rec.schedule == key &&
            !rec.paired && !rec.rejected && !rec.accepted)
          known = &rec;
      // A template that crashed or timed out is measured again: the
      // template is the known-good code, so that was the measuring machinery
      // (a runner whose start, a browser's included, ran past the request's
      // timeout on a loaded machine: BlazeFace back's three largest kernels
      // in Chromium at load 6.5), and without an ok template the task can
      // never be tuned. One trial if the failure is real.
      if (known && r == tasks[pick].templateRecord &&
          (known->status == MeasureStatus::Crash || known->status == MeasureStatus::Timeout))
        known = nullptr;
      if (known) {
        Measurement m;
        m.status = known->status;
        m.medianMs = known->medianMs;
        note(pick, r, m, /*fromDb=*/true);
      } else {
        toMeasure.push_back(r);
      }
    }
    std::vector<Measurement> measured = measure(pick, toMeasure);
    if (!deviceError.empty())
      return makeError("the runner cannot measure: " + deviceError +
                       " (nothing of this batch was written to " + options.dbPath + ")");
    for (size_t i = 0; i < toMeasure.size(); ++i) {
      note(pick, toMeasure[i], measured[i], /*fromDb=*/false);
      if (failedToRun(measured[i].status)) {
        unwritten.push_back({pick, toMeasure[i], measured[i], utcNow()});
        continue;
      }
      if (llvm::Error err = flushUnwritten())
        return std::move(err);
      if (llvm::Error err = record(pick, toMeasure[i], measured[i], false, utcNow()))
        return std::move(err);
    }
    if (unwritten.size() >= kFailureStreak)
      if (llvm::Error err = checkMachinery(pick))
        return std::move(err);
    // The curve starts once every task has a time (the first batches
    // measure each task's seeds).
    if (llvm::all_of(states, [](const TaskState &s) { return s.result.bestMs > 0; }))
      report.curve.push_back({trials, elapsed(), modelMs()});
    std::vector<TaskResult> results;
    std::vector<double> priorities;
    for (size_t t = 0; t < tasks.size(); ++t) {
      results.push_back(states[t].result);
      priorities.push_back(exhausted[t] ? 0 : priority(t));
    }
    progress.update(pick, results, priorities, trials, elapsed());
  }
  if (llvm::Error err = flushUnwritten())
    return std::move(err);
  // Before any speed-up is reported or applied, each task's best record is
  // timed again beside its template.
  for (size_t t = 0; t < tasks.size(); ++t)
    if (llvm::Error err = confirm(t))
      return std::move(err);
  for (TaskState &s : states)
    report.tasks.push_back(s.result);
  report.seconds = elapsed();
  report.clock = clock;
  for (Worker &w : workers)
    w.process->stop();
  return report;
}

} // namespace detail

llvm::Error measurePool(const std::vector<Task> &tasks, const codegen::TargetFingerprint &target,
                        const codegen::TargetInfo &targetInfo, const TuneOptions &options,
                        unsigned size, unsigned chunk, mlir::MLIRContext *context) {
  detail::Loop loop(tasks, target, targetInfo, options, context);
  return loop.runPool(size, std::max(1u, chunk));
}

llvm::Expected<TuneReport> tune(const std::vector<Task> &tasks,
                                const codegen::TargetFingerprint &target,
                                const codegen::TargetInfo &targetInfo, const TuneOptions &options,
                                mlir::MLIRContext *context) {
  if (options.search != "evolve" && options.search != "random" && options.search != "grid")
    return makeError("unknown --search '" + options.search + "' (expected evolve, random or grid)");
  detail::Loop loop(tasks, target, targetInfo, options, context);
  return loop.run();
}

} // namespace kiln::tuner
