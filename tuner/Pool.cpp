//===- Pool.cpp - measure a table of records for replay -------------------===//
//
// `kiln-tune --pool`: instead of searching, each task's template, its
// autoschedulers' records and N seeded draws are measured in chunks beside
// the template and scaled by it, so that `kiln-tune --replay` can compare
// searches against one table without measurement noise.
//
//===----------------------------------------------------------------------===//
#include "tuner/Loop.h"

#include "compiler/support/Error.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <functional>

namespace kiln::tuner::detail {

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
      if (!deviceError.empty())
        return makeError("the runner cannot measure: " + deviceError);
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

} // namespace kiln::tuner::detail
