//===- Confirm.cpp - time each task's best again beside its template ------===//
//
// The paired re-timing that decides what kilnc applies: a search record
// was timed at whatever load the machine had then, so before any gain is
// reported or applied it is timed again in the same runner as its
// template, rounds alternating between the two (tuner/README.md).
//
//===----------------------------------------------------------------------===//
#include "tuner/Loop.h"

#include "llvm/Support/Format.h"

namespace kiln::tuner::detail {

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

} // namespace kiln::tuner::detail
