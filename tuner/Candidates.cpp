//===- Candidates.cpp - what the search measures next ---------------------===//
//
// Which candidates a task's next batch holds: its queued seeds (the
// template, then Halide's autoschedulers where the task is worth it), the
// best records of other tasks of its pattern fitted to it (transfers), and
// then the search itself: evolve (mutations and fresh draws ranked by the
// cost model), random, or grid. Every draw comes from `rng`, in a fixed
// order: the same seed and database give the same candidates.
//
//===----------------------------------------------------------------------===//
#include "tuner/Loop.h"

#include <algorithm>
#include <set>

namespace kiln::tuner::detail {

// The records of Halide's autoschedulers for a task: Mullapudi2016 not on
// depthwise kernels, where Halide 14 fails to compile what it produces.
std::vector<ScheduleRecord> autoschedulerRecords(const Task &task) {
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

} // namespace kiln::tuner::detail
