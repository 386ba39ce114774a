//===- Tuner.cpp - search schedule records by measuring them --------------===//
#include "tuner/Tuner.h"

#include "tuner/CostModel.h"
#include "tuner/Runner.h"
#include "tuner/SearchSpace.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>

namespace kiln::tuner {

using codegen::MeasureStatus;
using codegen::ScheduleMode;
using codegen::ScheduleRecord;
using codegen::TuningRecord;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

namespace {

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

class Loop {
public:
  Loop(const std::vector<Task> &tasks, const codegen::TargetFingerprint &target,
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
  bool ensureReference(Worker &worker, size_t t, std::string &why);
  Outcome call(Worker &worker, llvm::json::Object request, llvm::json::Object &reply);
  double modelMs() const;
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
};

Outcome Loop::call(Worker &worker, llvm::json::Object request, llvm::json::Object &reply) {
  if (llvm::Error err = worker.process->send(request)) {
    llvm::consumeError(std::move(err));
    return Outcome::Crashed;
  }
  return worker.process->receive(options.timeoutSeconds, reply);
}

// The template's outputs are each task's reference; a runner that was
// restarted has lost them.
bool Loop::ensureReference(Worker &worker, size_t t, std::string &why) {
  auto it = worker.referenceGeneration.find(t);
  if (it != worker.referenceGeneration.end() && it->second == worker.process->generation() &&
      worker.process->generation() > 0)
    return true;
  int64_t id = nextId++;
  llvm::json::Object reply;
  Outcome o = call(worker,
                   llvm::json::Object{{"op", "compile"},
                                      {"id", id},
                                      {"task", states[t].path},
                                      {"schedule", tasks[t].templateRecord.serialize(context)}},
                   reply);
  if (o != Outcome::Replied || reply.getString("status") != "ok") {
    why = "the template does not compile: " + reply.getString("message").value_or("").str();
    return false;
  }
  o = call(worker,
           llvm::json::Object{{"op", "run"}, {"id", id}, {"iterations", 1}, {"reference", true}},
           reply);
  call(worker, llvm::json::Object{{"op", "forget"}, {"id", id}}, reply);
  if (o != Outcome::Replied) {
    why = "the template crashed";
    return false;
  }
  worker.referenceGeneration[t] = worker.process->generation();
  return true;
}

std::vector<Measurement> Loop::measure(size_t t, const std::vector<ScheduleRecord> &batch,
                                       Worker *only) {
  std::vector<Measurement> results(batch.size());
  if (options.replay) {
    // The table's answer; a record it lacks fails (the pool restriction
    // means the search never proposes one, but a seed might).
    for (size_t i = 0; i < batch.size(); ++i) {
      std::string key = batch[i].serialize(context);
      Measurement &m = results[i];
      m.status = MeasureStatus::CompileError;
      m.message = "not in the replay table";
      for (const TuningRecord &r : options.replay->records)
        if (r.kernel == tasks[t].identity && r.schedule == key && !r.paired) {
          m.status = r.status;
          m.medianMs = r.medianMs, m.minMs = r.minMs, m.spread = r.spread;
          m.message.clear();
        }
    }
    return results;
  }
  struct Slot {
    size_t index;
    Worker *worker;
    int64_t id;
    unsigned generation;
    std::vector<double> times;
  };
  std::vector<Slot> compiled;
  // Compile: one candidate per runner at a time, all runners at once (or
  // all on `only`, one after the other).
  for (size_t next = 0; next < batch.size();) {
    std::vector<std::pair<size_t, Worker *>> sent;
    for (Worker &worker : workers) {
      if (only && &worker != only)
        continue;
      if (next >= batch.size())
        break;
      std::string why;
      if (!ensureReference(worker, t, why)) {
        results[next].status = MeasureStatus::Crash;
        results[next].message = why;
        ++next;
        continue;
      }
      int64_t id = nextId++;
      compiled.push_back(Slot{next, &worker, id, worker.process->generation(), {}});
      llvm::json::Object request{{"op", "compile"},
                                 {"id", id},
                                 {"task", states[t].path},
                                 {"schedule", batch[next].serialize(context)}};
      if (llvm::Error err = worker.process->send(request))
        llvm::consumeError(std::move(err));
      sent.push_back({compiled.size() - 1, &worker});
      ++next;
    }
    for (auto [slot, worker] : sent) {
      llvm::json::Object reply;
      Outcome o = worker->process->receive(options.timeoutSeconds, reply);
      Measurement &m = results[compiled[slot].index];
      if (o == Outcome::TimedOut) {
        m.status = MeasureStatus::Timeout;
      } else if (o == Outcome::Crashed) {
        m.status = MeasureStatus::Crash;
      } else if (reply.getString("status") != "ok") {
        m.status = MeasureStatus::CompileError;
        m.message = reply.getString("message").value_or("").str();
      }
    }
  }
  // Time: rounds over every compiled candidate in turn, so that load on a
  // shared machine falls on all of them alike; each call runs enough
  // iterations for about 20 ms, and rounds go on (up to 5) until the
  // median moves by less than 2%.
  std::vector<Slot *> live;
  for (Slot &s : compiled)
    if (results[s.index].status == MeasureStatus::Ok)
      live.push_back(&s);
  std::map<Slot *, int64_t> iterations;
  std::map<Slot *, double> lastMedian;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
  };
  for (int round = 0; round < 5 && !live.empty(); ++round) {
    bool stable = round >= 2;
    for (Slot *s : live) {
      Measurement &m = results[s->index];
      if (m.status != MeasureStatus::Ok)
        continue;
      if (s->worker->process->generation() != s->generation) {
        m.status = MeasureStatus::Crash; // its runner died under another candidate
        m.message = "runner restarted";
        continue;
      }
      int64_t n = iterations.count(s) ? iterations[s] : 1;
      llvm::json::Object reply;
      Outcome o = call(*s->worker,
                       llvm::json::Object{{"op", "run"}, {"id", s->id}, {"iterations", n}}, reply);
      // A runner may time a run out itself (the library runner kills the
      // candidate's process and stays): "timeout".
      if (o != Outcome::Replied || reply.getString("status") == "crash" ||
          reply.getString("status") == "timeout") {
        m.status = o == Outcome::TimedOut || reply.getString("status") == "timeout"
                       ? MeasureStatus::Timeout
                       : MeasureStatus::Crash;
        m.message = reply.getString("message").value_or("").str();
        continue;
      }
      if (reply.getString("status") == "wrong") {
        m.status = MeasureStatus::Wrong;
        m.message = "outputs differ from the template's by " +
                    std::to_string(reply.getNumber("error").value_or(0)) + " of their range";
        continue;
      }
      if (const llvm::json::Array *times = reply.getArray("times_ms"))
        for (const llvm::json::Value &v : *times)
          s->times.push_back(v.getAsNumber().value_or(0));
      double med = median(s->times);
      if (!iterations.count(s))
        iterations[s] = std::clamp<int64_t>(int64_t(20.0 / std::max(med, 0.01)), 1, 200);
      if (!lastMedian.count(s) || std::abs(med - lastMedian[s]) > 0.02 * med)
        stable = false;
      lastMedian[s] = med;
    }
    if (stable)
      break;
  }
  for (Slot &s : compiled) {
    llvm::json::Object ignored;
    call(*s.worker, llvm::json::Object{{"op", "forget"}, {"id", s.id}}, ignored);
    Measurement &m = results[s.index];
    if (m.status != MeasureStatus::Ok || s.times.empty())
      continue;
    std::vector<double> v = s.times;
    std::sort(v.begin(), v.end());
    m.medianMs = v[v.size() / 2];
    m.minMs = v.front();
    m.spread = (v[v.size() * 9 / 10] - v[v.size() / 10]) / m.medianMs;
  }
  return results;
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

// The records of Halide's autoschedulers for a task: Mullapudi2016 not on
// depthwise kernels, where Halide 14 fails to compile what it produces.
static std::vector<ScheduleRecord> autoschedulerRecords(const Task &task) {
  std::vector<ScheduleRecord> out;
  for (ScheduleMode mode :
       {ScheduleMode::Mullapudi2016, ScheduleMode::Li2018, ScheduleMode::Adams2019}) {
    if (mode == ScheduleMode::Mullapudi2016 && task.pattern == codegen::KernelPattern::Depthwise)
      continue;
    ScheduleRecord r = task.templateRecord;
    r.mode = mode;
    out.push_back(r);
  }
  return out;
}

// Halide's autoschedulers as seeds (evolve only), for a task worth at
// least a tenth of the model's estimated time: with dozens of small tasks,
// three seeds each would take most of a few-hundred-trial budget (the
// previous tune of BlazeFace front spent 74 of 120 trials on seeds).
// Mullapudi2016 is not tried on depthwise kernels, where Halide 14 fails
// to compile what it produces.
void Loop::queueAutoschedulers(size_t t) {
  TaskState &s = states[t];
  if (s.autoSeeded || !options.autoschedulerSeeds || options.search != "evolve" || gpu ||
      s.result.templateMs <= 0)
    return;
  double total = modelMs();
  if (total <= 0 || tasks[t].calls * s.result.templateMs < 0.1 * total)
    return;
  s.autoSeeded = true;
  for (const ScheduleRecord &r : autoschedulerRecords(tasks[t]))
    s.queue.push_back(r);
}

// The best records of the other tasks of this pattern that gained 10% or
// more, fitted to task `t`, not yet tried, the most promising first (by
// the cost model, once it ranks).
std::vector<ScheduleRecord> Loop::transfersFor(size_t t) {
  std::vector<ScheduleRecord> out;
  std::set<std::string> keys;
  for (size_t u = 0; u < tasks.size(); ++u) {
    const TaskResult &other = states[u].result;
    if (u == t || tasks[u].pattern != tasks[t].pattern || other.bestMs <= 0 ||
        other.bestMs > 0.9 * other.templateMs)
      continue;
    auto best = ScheduleRecord::parse(other.bestSchedule, context);
    if (!best) {
      llvm::consumeError(best.takeError());
      continue;
    }
    if (best->mode != ScheduleMode::Template)
      continue;
    ScheduleRecord r = spaces[t].adapt(*best);
    std::string key = r.serialize(context);
    if (spaces[t].legal(r) && !states[t].seen.count(key) && keys.insert(key).second)
      out.push_back(r);
  }
  if (model.points(tasks[t].pattern) >= 8)
    std::stable_sort(out.begin(), out.end(), [&](const ScheduleRecord &a, const ScheduleRecord &b) {
      return model.predict(tasks[t], a) < model.predict(tasks[t], b);
    });
  return out;
}

// Evolve: candidates are mutations of the three fastest records so far,
// fresh draws, and the best records of the other tasks of the same pattern
// fitted to this one; once the pattern's cost model has a few points it
// ranks them and the batch takes the most promising (one slot in eight
// stays a random pick from the pool, to keep exploring). A transfer from
// a task that gained 10% or more is tried first, unranked: it is the best
// evidence there is for a task not yet searched.
void Loop::evolve(size_t t, unsigned size, std::vector<ScheduleRecord> &batch,
                  const std::function<void(const ScheduleRecord &)> &take) {
  TaskState &s = states[t];
  std::vector<std::pair<double, std::string>> ranked;
  for (auto &[key, ms] : s.okMs)
    ranked.push_back({ms, key});
  std::sort(ranked.begin(), ranked.end());
  std::vector<ScheduleRecord> parents;
  for (size_t i = 0; i < std::min<size_t>(3, ranked.size()); ++i) {
    auto parent = ScheduleRecord::parse(ranked[i].second, context);
    if (parent)
      parents.push_back(*parent);
    else
      llvm::consumeError(parent.takeError());
  }
  std::vector<ScheduleRecord> transfers = transfersFor(t), pool;
  std::set<std::string> inPool;
  auto offer = [&](std::vector<ScheduleRecord> &to, const ScheduleRecord &r) {
    std::string key = r.serialize(context);
    if (!s.seen.count(key) && spaces[t].legal(r) && inPool.insert(key).second)
      to.push_back(r);
  };
  for (int i = 0; i < 48 && !parents.empty(); ++i)
    offer(pool,
          spaces[t].mutate(
              parents[std::uniform_int_distribution<size_t>(0, parents.size() - 1)(rng)], rng));
  for (int i = 0; i < 16; ++i)
    offer(pool, spaces[t].sample(rng));
  bool ranks = model.points(tasks[t].pattern) >= 8;
  if (!transfers.empty()) {
    take(transfers.front());
    pool.insert(pool.end(), transfers.begin() + 1, transfers.end());
  }
  if (ranks) {
    std::vector<std::pair<double, size_t>> order;
    for (size_t i = 0; i < pool.size(); ++i)
      order.push_back({model.predict(tasks[t], pool[i]), i});
    std::stable_sort(order.begin(), order.end());
    std::vector<ScheduleRecord> sorted;
    for (auto &[score, i] : order)
      sorted.push_back(pool[i]);
    pool = std::move(sorted);
  }
  while (batch.size() < size && !pool.empty()) {
    size_t i = 0;
    if (!ranks || std::uniform_int_distribution<int>(0, 7)(rng) == 0)
      i = std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng);
    take(pool[i]);
    pool.erase(pool.begin() + i);
  }
}

std::vector<ScheduleRecord> Loop::nextBatch(size_t t, unsigned size) {
  TaskState &s = states[t];
  std::vector<ScheduleRecord> batch;
  auto take = [&](const ScheduleRecord &r) {
    std::string key = r.serialize(context);
    if (!s.seen.insert(key).second)
      return;
    batch.push_back(r);
  };
  if (s.queue.empty())
    queueAutoschedulers(t);
  while (!s.queue.empty() && batch.size() < size) {
    take(s.queue.front());
    s.queue.erase(s.queue.begin());
  }
  // A task's first batch is its template alone, whatever the search: with
  // dozens of tasks a candidate drawn beside each template would spend a
  // third of a small budget before the allocator knows where the time is.
  // Evolve adds what another task of the pattern found, if anything.
  if (s.result.trials == 0) {
    if (options.search == "evolve") {
      std::vector<ScheduleRecord> transfers = transfersFor(t);
      if (!transfers.empty() && batch.size() < size)
        take(transfers.front());
    }
    return batch;
  }
  std::vector<ScheduleRecord> grid;
  if (options.search == "grid")
    grid = spaces[t].grid(100000);
  for (int attempts = 0; batch.size() < size && attempts < 200; ++attempts) {
    if (options.search == "grid") {
      if (s.gridNext >= grid.size())
        break;
      take(grid[s.gridNext++]);
    } else if (options.search == "random" || s.okMs.empty()) {
      take(spaces[t].sample(rng));
    } else {
      evolve(t, size, batch, take);
    }
  }
  return batch;
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
  rec.schedule = r.serialize(context);
  rec.medianMs = m.medianMs;
  rec.minMs = m.minMs;
  rec.spread = m.spread;
  rec.status = m.status;
  rec.kilnVersion = KILN_VERSION;
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

// The template is timed once, first, and every candidate later, at
// whatever load the machine has by then: on a shared machine a candidate
// timed in a quiet minute looks faster than it is. So the best record of
// each task is timed again beside its template, in one runner, rounds
// alternating between the two, and that pair (both in the database,
// "paired") decides: kilnc takes the faster of the latest pair
// (TuningDb::best), and the report's template and tuned times are the
// pair's. A best record that loses the pair gives way to the template.
llvm::Error Loop::confirm(size_t t) {
  TaskResult &res = states[t].result;
  std::string templateKey = tasks[t].templateRecord.serialize(context);
  if (res.bestMs == 0 || res.templateMs == 0 || res.bestSchedule == templateKey)
    return llvm::Error::success();
  auto best = ScheduleRecord::parse(res.bestSchedule, context);
  if (!best) {
    llvm::consumeError(best.takeError());
    return llvm::Error::success();
  }
  std::vector<ScheduleRecord> pair = {tasks[t].templateRecord, *best};
  std::vector<Measurement> m(2);
  // A resumed tune whose best is already the latest pair's reuses it: the
  // same seed and database then add nothing.
  const TuningRecord *latest = nullptr;
  for (const TuningRecord &r : db.records)
    if (r.paired && r.status == MeasureStatus::Ok && r.kernel == tasks[t].identity &&
        r.target == target && (!latest || r.time >= latest->time))
      latest = &r;
  for (const TuningRecord &r : db.records)
    if (latest && r.paired && r.kernel == latest->kernel && r.target == target &&
        r.time == latest->time)
      for (size_t i = 0; i < 2; ++i)
        if (r.schedule == (i ? res.bestSchedule : templateKey) && r.status == MeasureStatus::Ok)
          m[i].medianMs = r.medianMs;
  if (m[0].medianMs == 0 || m[1].medianMs == 0) {
    m = measure(t, pair, &workers.front());
    if (m[0].status != MeasureStatus::Ok || m[1].status != MeasureStatus::Ok)
      return llvm::Error::success(); // the search's own records stand, unpaired
    std::string time = utcNow();
    for (size_t i = 0; i < 2; ++i)
      if (llvm::Error err = record(t, pair[i], m[i], /*paired=*/true, time))
        return err;
  }
  if (options.progress)
    *options.progress << llvm::format(
        "paired task %zu %-44s template %.4f ms, best %.4f ms (%.2fx; search said %.2fx)\n", t,
        tasks[t].summary.c_str(), m[0].medianMs, m[1].medianMs, m[0].medianMs / m[1].medianMs,
        res.templateMs / res.bestMs);
  res.templateMs = m[0].medianMs;
  if (m[1].medianMs < codegen::kPairWinRatio * m[0].medianMs) { // as kilnc decides
    res.bestMs = m[1].medianMs;
  } else {
    res.bestMs = m[0].medianMs;
    res.bestSchedule = templateKey;
  }
  return llvm::Error::success();
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
  while (true) {
    if (options.trials && trials >= options.trials)
      break;
    if (options.minutes > 0 && elapsed() > options.minutes * 60)
      break;
    // The task with the most to gain: a task not yet measured first (its
    // template time is its weight), then calls x best / sqrt(1 + trials).
    size_t pick = tasks.size();
    double bestPriority = -1;
    for (size_t t = 0; t < tasks.size(); ++t) {
      if (exhausted[t])
        continue;
      const TaskResult &r = states[t].result;
      double priority = r.trials == 0
                            ? INFINITY
                            : tasks[t].calls * std::max(r.bestMs, 1e-6) / std::sqrt(1.0 + r.trials);
      if (priority > bestPriority) {
        bestPriority = priority;
        pick = t;
      }
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
    for (size_t i = 0; i < toMeasure.size(); ++i) {
      if (llvm::Error err = record(pick, toMeasure[i], measured[i], false, utcNow()))
        return std::move(err);
      note(pick, toMeasure[i], measured[i], /*fromDb=*/false);
    }
    // The curve starts once every task has a time (the first batches
    // measure each task's seeds).
    if (llvm::all_of(states, [](const TaskState &s) { return s.result.bestMs > 0; }))
      report.curve.push_back({trials, elapsed(), modelMs()});
    if (options.progress) {
      const TaskResult &r = states[pick].result;
      double eta = options.trials ? elapsed() / std::max(1u, trials) * (options.trials - trials)
                                  : options.minutes * 60 - elapsed();
      *options.progress << llvm::format("[%3u/%-3u] task %zu %-44s best %.4f ms", trials,
                                        options.trials, pick, tasks[pick].summary.c_str(),
                                        r.bestMs);
      if (r.templateMs > 0 && r.bestMs > 0)
        *options.progress << llvm::format(" (template %.4f, %.2fx)", r.templateMs,
                                          r.templateMs / r.bestMs);
      *options.progress << llvm::format("  model ~%.3f ms  ETA %.0f s\n", modelMs(),
                                        std::max(0.0, eta));
      options.progress->flush();
    }
  }
  // Before any speed-up is reported or applied, each task's best record is
  // timed again beside its template.
  for (size_t t = 0; t < tasks.size(); ++t)
    if (llvm::Error err = confirm(t))
      return std::move(err);
  for (TaskState &s : states)
    report.tasks.push_back(s.result);
  report.seconds = elapsed();
  for (Worker &w : workers)
    w.process->stop();
  return report;
}

llvm::Error Loop::runPool(unsigned size, unsigned chunk) {
  if (llvm::Error err = prepare())
    return err;
  for (size_t t = 0; t < tasks.size(); ++t) {
    TaskState &s = states[t];
    std::vector<ScheduleRecord> pool;
    auto add = [&](const ScheduleRecord &r) {
      if (s.seen.insert(r.serialize(context)).second)
        pool.push_back(r);
    };
    s.seen.insert(tasks[t].templateRecord.serialize(context));
    // Every autoscheduler evolve may seed with, ungated: the table must
    // answer for them.
    if (!gpu)
      for (const ScheduleRecord &r : autoschedulerRecords(tasks[t]))
        add(r);
    size_t draws = pool.size() + size;
    for (unsigned attempts = 0; pool.size() < draws && attempts < 50 * size; ++attempts)
      add(spaces[t].sample(rng));
    // What the table already has is not measured again (a resumed pool).
    auto known = [&](const ScheduleRecord &r) {
      std::string key = r.serialize(context);
      for (const TuningRecord &rec : db.records)
        if (rec.kernel == tasks[t].identity && rec.target == target && rec.schedule == key)
          return true;
      return false;
    };
    double unit = 0; // the template's time in the first chunk
    for (const TuningRecord &rec : db.records)
      if (rec.kernel == tasks[t].identity && rec.target == target &&
          rec.schedule == tasks[t].templateRecord.serialize(context) &&
          rec.status == MeasureStatus::Ok)
        unit = rec.medianMs;
    std::vector<ScheduleRecord> todo;
    for (const ScheduleRecord &r : pool)
      if (!known(r))
        todo.push_back(r);
    // A chunk's records are kept only if its template ran: each is scaled
    // by it. A candidate that kills its runner takes the template's
    // measurement with it (same runner), so such a chunk is measured again
    // one candidate at a time, and a candidate whose template still dies
    // beside it is recorded as the crash.
    std::function<llvm::Error(std::vector<ScheduleRecord>)> measureChunk =
        [&](std::vector<ScheduleRecord> batch) -> llvm::Error {
      std::vector<Measurement> m = measure(t, batch);
      if (m[0].status != MeasureStatus::Ok || m[0].medianMs <= 0) {
        if (batch.size() > 2) {
          for (size_t i = 1; i < batch.size(); ++i)
            if (llvm::Error err = measureChunk({batch[0], batch[i]}))
              return err;
          return llvm::Error::success();
        }
        Measurement crash;
        crash.status = m[1].status == MeasureStatus::Ok ? MeasureStatus::Crash : m[1].status;
        return record(t, batch[1], crash, false, utcNow());
      }
      std::string time = utcNow();
      if (unit == 0) {
        unit = m[0].medianMs;
        if (llvm::Error err = record(t, batch[0], m[0], false, time))
          return err;
      }
      double scale = unit / m[0].medianMs;
      for (size_t i = 1; i < batch.size(); ++i) {
        m[i].medianMs *= scale;
        m[i].minMs *= scale;
        if (llvm::Error err = record(t, batch[i], m[i], false, time))
          return err;
      }
      if (options.progress) {
        *options.progress << llvm::format("pool task %zu %-44s template %.4f ms in this chunk\n", t,
                                          tasks[t].summary.c_str(), m[0].medianMs);
        options.progress->flush();
      }
      return llvm::Error::success();
    };
    for (size_t first = 0; first < todo.size(); first += chunk) {
      std::vector<ScheduleRecord> batch = {tasks[t].templateRecord};
      for (size_t i = first; i < std::min(todo.size(), first + chunk); ++i)
        batch.push_back(todo[i]);
      if (llvm::Error err = measureChunk(std::move(batch)))
        return err;
      if (options.progress)
        *options.progress << "pool task " << t << ": " << std::min(todo.size(), first + chunk)
                          << " of " << todo.size() << " measured\n";
    }
  }
  for (Worker &w : workers)
    w.process->stop();
  return llvm::Error::success();
}

} // namespace

llvm::Error measurePool(const std::vector<Task> &tasks, const codegen::TargetFingerprint &target,
                        const codegen::TargetInfo &targetInfo, const TuneOptions &options,
                        unsigned size, unsigned chunk, mlir::MLIRContext *context) {
  Loop loop(tasks, target, targetInfo, options, context);
  return loop.runPool(size, std::max(1u, chunk));
}

llvm::Expected<TuneReport> tune(const std::vector<Task> &tasks,
                                const codegen::TargetFingerprint &target,
                                const codegen::TargetInfo &targetInfo, const TuneOptions &options,
                                mlir::MLIRContext *context) {
  if (options.search != "evolve" && options.search != "random" && options.search != "grid")
    return makeError("unknown --search '" + options.search + "' (expected evolve, random or grid)");
  Loop loop(tasks, target, targetInfo, options, context);
  return loop.run();
}

} // namespace kiln::tuner
