//===- Measure.cpp - time a batch of candidates in the runners ------------===//
//
// What a measurement is: each runner holds the template's outputs as its
// reference (made again when a runner restarts), a batch compiles one
// candidate per runner at a time, and timing goes round all compiled
// candidates in turn so that load on a shared machine falls on all alike.
// A replay answers from its table instead.
//
//===----------------------------------------------------------------------===//
#include "tuner/Loop.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace kiln::tuner::detail {

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
    noteDeviceError(deviceError, reply);
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
        noteDeviceError(deviceError, reply);
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
      noteClock(clock, reply);
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

} // namespace kiln::tuner::detail
