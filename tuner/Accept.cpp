//===- Accept.cpp - tuned records must pay end to end ---------------------===//
#include "tuner/Accept.h"

#include <algorithm>

namespace kiln::tuner {

static double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double ModelPairs::before() const { return medianOf(beforeMs); }
double ModelPairs::after() const { return medianOf(afterMs); }

unsigned ModelPairs::afterWins() const {
  unsigned wins = 0;
  for (size_t i = 0; i < beforeMs.size() && i < afterMs.size(); ++i)
    wins += afterMs[i] < beforeMs[i];
  return wins;
}

bool ModelPairs::pays() const {
  size_t n = std::min(beforeMs.size(), afterMs.size());
  return status == "ok" && n > 0 && after() <= kAcceptRatio * before() && 2 * afterWins() > n;
}

AcceptResult acceptRecords(std::vector<AcceptCandidate> candidates, const MeasureModel &measure,
                           unsigned maxSteps) {
  // Largest kernel gain first (ties by kernel, so the order is the same
  // every time): the halves dropped are the smallest gains, the records
  // most likely to be noise or to lose what they won alone.
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto &a, const auto &b) {
    return a.gainMs != b.gainMs ? a.gainMs > b.gainMs : a.kernel < b.kernel;
  });
  AcceptResult result;
  size_t keep = candidates.size();
  for (unsigned step = 0; step < maxSteps && keep > 0; ++step) {
    AcceptStep s;
    for (size_t i = 0; i < keep; ++i)
      s.kept.push_back(candidates[i].kernel);
    s.pairs = measure(s.kept);
    bool pays = s.pairs.pays();
    result.steps.push_back(s);
    if (pays) {
      result.accepted = s.kept;
      break;
    }
    if (keep == 1)
      break;
    keep /= 2;
  }
  for (const AcceptCandidate &c : candidates)
    if (std::find(result.accepted.begin(), result.accepted.end(), c.kernel) ==
        result.accepted.end())
      result.rejected.push_back(c.kernel);
  return result;
}

codegen::TuningRecord verdict(const codegen::TuningRecord &won, const std::string &time,
                              bool kept) {
  codegen::TuningRecord r = won;
  r.paired = r.baseline = false;
  r.accepted = kept;
  r.rejected = !kept;
  r.time = time;
  return r;
}

bool judged(const codegen::TuningDb &db, const codegen::TuningRecord &won) {
  return llvm::any_of(db.records, [&](const codegen::TuningRecord &r) {
    return (r.accepted || r.rejected) && r.kernel == won.kernel && r.target == won.target &&
           r.schedule == won.schedule && r.time >= won.time;
  });
}

ModelTimer::ModelTimer(const TuneOptions &options, std::string templatePath)
    : templatePath(std::move(templatePath)) {
  std::string log = options.workDir + "/accept.log";
  runner = options.runnerCommand.empty()
               ? std::make_unique<RunnerProcess>(options.runnerExecutable, options.threads, log)
               : std::make_unique<RunnerProcess>(options.runnerCommand, options.threads, log);
  llvm::json::Object reply;
  // An empty schedule keeps the records each kernel carries: a whole model.
  if (!request(
          llvm::json::Object{
              {"op", "compile"}, {"id", 1}, {"task", this->templatePath}, {"schedule", ""}},
          reply) ||
      reply.getString("status") != "ok") {
    templateStatus = "the template model did not compile: " +
                     reply.getString("message").value_or("the runner died").str();
    return;
  }
  // Its outputs are the reference; its times set the calls' length.
  if (!request(llvm::json::Object{{"op", "run"}, {"id", 1}, {"iterations", 3}, {"reference", true}},
               reply) ||
      reply.getString("status") != "ok") {
    templateStatus = "the template model did not run";
    return;
  }
  templateStatus = "ok";
}

bool ModelTimer::request(llvm::json::Object r, llvm::json::Object &reply) {
  if (llvm::Error err = runner->send(r)) {
    llvm::consumeError(std::move(err));
    return false;
  }
  // A whole model compiles ahead of time kernel by kernel: minutes at most.
  return runner->receive(600, reply) == Outcome::Replied;
}

ModelPairs ModelTimer::compare(const std::string &tunedPath, unsigned pairs) {
  ModelPairs result;
  if (templateStatus != "ok") {
    result.status = templateStatus;
    return result;
  }
  int64_t id = nextId++;
  llvm::json::Object reply;
  if (!request(
          llvm::json::Object{{"op", "compile"}, {"id", id}, {"task", tunedPath}, {"schedule", ""}},
          reply) ||
      reply.getString("status") != "ok") {
    result.status = "the tuned model did not compile: " +
                    reply.getString("message").value_or("the runner died").str();
    return result;
  }
  // Each call about 20 ms of runs, by the template model's first call.
  int64_t iterations = 10;
  auto call = [&](int64_t which, double &ms) {
    llvm::json::Object r{{"op", "run"}, {"id", which}, {"iterations", iterations}};
    if (which != 1)
      r["reference_task"] = templatePath;
    if (!request(std::move(r), reply)) {
      result.status = "the runner died timing the model";
      return false;
    }
    if (reply.getString("status") != "ok") {
      result.status = reply.getString("status") == "wrong"
                          ? "the tuned model's outputs differ from the template's (" +
                                std::to_string(reply.getNumber("error").value_or(0)) + " of range)"
                          : "the model " + reply.getString("status").value_or("failed").str();
      return false;
    }
    std::vector<double> times;
    if (const llvm::json::Array *ts = reply.getArray("times_ms"))
      for (const llvm::json::Value &v : *ts)
        times.push_back(v.getAsNumber().value_or(0));
    ms = medianOf(times);
    return true;
  };
  double first = 0;
  if (!call(1, first))
    return result;
  iterations = std::clamp<int64_t>(int64_t(20.0 / std::max(first, 0.05)), 3, 200);
  for (unsigned p = 0; p < pairs; ++p) {
    double before = 0, after = 0;
    bool ok = p % 2 ? call(id, after) && call(1, before) : call(1, before) && call(id, after);
    if (!ok)
      break;
    result.beforeMs.push_back(before);
    result.afterMs.push_back(after);
  }
  llvm::json::Object ignored;
  request(llvm::json::Object{{"op", "forget"}, {"id", id}}, ignored);
  return result;
}

} // namespace kiln::tuner
