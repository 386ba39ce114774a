//===- Accept.cpp - tuned records must pay end to end ---------------------===//
#include "tuner/Accept.h"

#include "compiler/pipeline/Pipeline.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>

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

double signTestP(unsigned wins, unsigned n) {
  // sum over k >= wins of C(n, k) / 2^n, the terms built up from C(n, n).
  double term = std::ldexp(1.0, -int(n)), p = 0;
  for (unsigned k = n + 1; k-- > 0;) {
    if (k < wins)
      break;
    p += term;
    term = term * k / (n - k + 1);
  }
  return std::min(p, 1.0);
}

double ModelPairs::signP() const {
  return signTestP(afterWins(), unsigned(std::min(beforeMs.size(), afterMs.size())));
}

static AcceptDesign computeDesign(double alpha) {
  const unsigned n = kAcceptPairs;
  // P(X = k) for X ~ Binomial(n, q).
  auto pmf = [n](unsigned k, double q) {
    double c = 1;
    for (unsigned i = 1; i <= k; ++i)
      c = c * (n - k + i) / i;
    return c * std::pow(q, k) * std::pow(1 - q, n - k);
  };
  // The chance of paying when each pair is won with probability q.
  auto chance = [&](unsigned first, unsigned from, unsigned total, double q) {
    double p = 0;
    for (unsigned k1 = first; k1 <= n; ++k1)
      p += pmf(k1, q);
    for (unsigned k1 = from; k1 < first; ++k1)
      for (unsigned k2 = 0; k2 <= n; ++k2)
        if (k1 + k2 >= total)
          p += pmf(k1, q) * pmf(k2, q);
    return p;
  };
  AcceptDesign best;
  // Pays never, if nothing fits alpha.
  best.firstWins = best.moreFrom = n + 1;
  best.totalWins = 2 * n + 1;
  for (unsigned first = 1; first <= n; ++first) {
    // More pairs only where the first look is promising (p <= 0.2).
    unsigned from = first;
    while (from > 0 && signTestP(from - 1, n) <= 0.2)
      --from;
    for (unsigned total = 2 * n + 1; total-- > first;) {
      AcceptDesign d{first, from, total, chance(first, from, total, 0.5),
                     chance(first, from, total, 0.7)};
      if (d.falseAccept <= alpha && d.power > best.power + 1e-12)
        best = d;
    }
  }
  return best;
}

AcceptDesign acceptDesign(double alpha) {
  // ~130,000 terms each: remembered per alpha (the steps' alphas).
  static std::mutex mutex;
  static std::map<double, AcceptDesign> designs;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = designs.find(alpha);
  if (it == designs.end())
    it = designs.emplace(alpha, computeDesign(alpha)).first;
  return it->second;
}

AcceptVerdict ModelPairs::verdict(unsigned step) const {
  size_t n = std::min(beforeMs.size(), afterMs.size());
  if (status != "ok" || n == 0)
    return AcceptVerdict::DoesNotPay;
  AcceptDesign d = acceptDesign(kAcceptAlpha / std::max(step, 1u));
  bool faster = after() <= kAcceptRatio * before();
  unsigned wins = afterWins();
  if (n == kAcceptPairs) {
    if (faster && wins >= d.firstWins)
      return AcceptVerdict::Pays;
    return wins >= d.moreFrom ? AcceptVerdict::MorePairs : AcceptVerdict::DoesNotPay;
  }
  if (n == 2 * kAcceptPairs)
    return faster && wins >= d.totalWins ? AcceptVerdict::Pays : AcceptVerdict::DoesNotPay;
  return faster && signP() <= signTestP(d.firstWins, kAcceptPairs) ? AcceptVerdict::Pays
                                                                   : AcceptVerdict::DoesNotPay;
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
    s.pairs = measure(s.kept, false);
    if (s.pairs.verdict(step + 1) == AcceptVerdict::MorePairs) {
      ModelPairs more = measure(s.kept, true);
      s.pairs.beforeMs.insert(s.pairs.beforeMs.end(), more.beforeMs.begin(), more.beforeMs.end());
      s.pairs.afterMs.insert(s.pairs.afterMs.end(), more.afterMs.begin(), more.afterMs.end());
      if (more.status != "ok")
        s.pairs.status = more.status;
    }
    bool pays = s.pairs.pays(step + 1);
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
  // Written in this build's schema (a pair read from a schema 1 file has
  // its features filled in by then).
  r.schema = codegen::kTuningSchema;
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

/// The 1-minute load average ("?" where the system has none).
static std::string loadNow() {
  double load[1];
  return getloadavg(load, 1) == 1 ? llvm::formatv("{0:F1}", load[0]).str() : "?";
}

llvm::Expected<std::string> runAcceptance(const AcceptanceInput &in, const TuneOptions &options,
                                          mlir::MLIRContext *context, llvm::raw_ostream &os) {
  auto db = codegen::loadTuningDb(in.dbPath);
  if (!db)
    return db.takeError();
  std::vector<AcceptCandidate> candidates;
  std::map<std::string, codegen::TuningRecord> winners; // kernel -> its pair's winner
  for (size_t i = 0; i < in.tasks->size(); ++i) {
    const Task &task = (*in.tasks)[i];
    auto choice = db->choose(task.identity, in.fingerprint, task.templateRecord.serialize(context));
    // Judged by an earlier run (a resumed tune): it stands.
    if (choice.kind != codegen::TuningDb::Choice::Tuned || judged(*db, *choice.record))
      continue;
    candidates.push_back({task.identity, task.summary,
                          task.calls * (in.report->tasks[i].templateMs - choice.record->medianMs)});
    winners[task.identity] = *choice.record;
  }
  if (candidates.empty()) {
    // Nothing is timed here: the clock is the search's runners'.
    os << "model end to end (" << in.how
       << (in.report->clock.empty() ? "" : ", " + clockLabel(in.report->clock))
       << "): no new tuned record to judge, the model keeps what the database had; ok\n";
    return std::string("ok");
  }
  std::string acceptTime = utcNow(), loadBefore = loadNow();
  // The model as kilnc --tuning-db builds it with only `kept` of this
  // tune's winners (the others as if rejected), printed for the runner.
  auto writeModel = [&](const std::vector<std::string> &kept,
                        llvm::StringRef name) -> llvm::Expected<std::string> {
    codegen::TuningDb with = *db;
    for (const auto &[kernel, won] : winners)
      if (!llvm::is_contained(kept, kernel))
        with.records.push_back(verdict(won, acceptTime, false));
    mlir::OwningOpRef<mlir::ModuleOp> m(mlir::ModuleOp(in.model).clone());
    TuningOptions tuning;
    tuning.db = &with;
    tuning.device = in.device;
    tuning.threads = in.threads;
    codegen::TuningUse use;
    tuning.use = &use;
    if (failed(runSchedulesPhase(*m, *in.variant, codegen::ScheduleMode::Template, tuning)))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the schedules phase failed with the database");
    std::string path = options.workDir + "/" + name.str() + ".mlir";
    if (llvm::Error err = llvm::writeToOutput(path, [&](llvm::raw_ostream &out) {
          m->print(out);
          return llvm::Error::success();
        }))
      return std::move(err);
    return path;
  };
  auto beforePath = writeModel({}, "model_before");
  if (!beforePath)
    return beforePath.takeError();
  ModelTimer timer(options, *beforePath);
  unsigned built = 0;
  MeasureModel measure = [&](const std::vector<std::string> &kept, bool more) {
    if (more)
      return timer.more();
    auto path = writeModel(kept, "model_step" + std::to_string(built++));
    if (!path)
      return ModelPairs{{}, {}, llvm::toString(path.takeError()), {}};
    return timer.compare(*path);
  };
  AcceptResult accepted;
  if (in.noAccept) {
    // Measured once and kept whatever it says.
    for (const AcceptCandidate &c : candidates)
      accepted.accepted.push_back(c.kernel);
    accepted.steps.push_back({accepted.accepted, measure(accepted.accepted, false)});
  } else {
    accepted = acceptRecords(candidates, measure);
  }
  std::string status = "ok";
  for (size_t k = 0; k < accepted.steps.size(); ++k) {
    const ModelPairs &p = accepted.steps[k].pairs;
    AcceptDesign d = acceptDesign(kAcceptAlpha / (k + 1));
    os << llvm::format("acceptance %zu: %zu of %zu tuned records, before %.3f ms, with them "
                       "%.3f ms (%.2fx), faster in %u of %zu pairs (sign test p %.4f; alpha "
                       "%.4f: %u of %u, or from %u on %u of %u): %s",
                       k + 1, accepted.steps[k].kept.size(), candidates.size(), p.before(),
                       p.after(), p.after() > 0 ? p.before() / p.after() : 0.0, p.afterWins(),
                       p.afterMs.size(), p.signP(), kAcceptAlpha / (k + 1), d.firstWins,
                       kAcceptPairs, d.moreFrom, d.totalWins, 2 * kAcceptPairs,
                       in.noAccept     ? "kept (--no-accept)"
                       : p.pays(k + 1) ? "pays"
                                       : "does not pay");
    if (p.status != "ok") {
      os << " (" << p.status << ")";
      status = p.status;
    }
    os << "\n";
  }
  for (const AcceptCandidate &c : candidates) {
    bool kept = llvm::is_contained(accepted.accepted, c.kernel);
    if (!kept)
      os << llvm::format("  rejected end to end: %s %s (its kernel pair gained %.4f ms)\n",
                         c.kernel.c_str(), c.summary.c_str(), c.gainMs);
    // A build that failed (outputs differ, a crash) did not pay either;
    // --no-accept judges nothing.
    if (!in.noAccept)
      if (llvm::Error err =
              codegen::appendRecord(in.dbPath, verdict(winners[c.kernel], acceptTime, kept)))
        return std::move(err);
  }
  // The verdict: the accepted build's pairs, else the last one tried.
  const AcceptStep &last = accepted.steps.back();
  // The clock as the runner named it in its replies (tuner/README.md, the
  // protocol's "clock").
  std::string how = in.how + ", " + clockLabel(last.pairs.clock);
  double before = last.pairs.before(),
         after = accepted.accepted.empty() ? before : last.pairs.after();
  os << llvm::format(
      "model end to end (%s, %zu alternating pairs, medians, load %s -> %s): "
      "before %.3f ms, tuned %.3f ms (%.2fx); %zu of %zu tuned records kept%s; "
      "%s\n",
      how.c_str(), last.pairs.afterMs.size(), loadBefore.c_str(), loadNow().c_str(), before, after,
      after > 0 ? before / after : 0.0, accepted.accepted.size(), candidates.size(),
      accepted.accepted.empty() ? " (the model keeps what it had)" : "", status.c_str());
  return status;
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

ModelTimer::~ModelTimer() { forgetLast(); }

void ModelTimer::forgetLast() {
  if (!lastId || !runner)
    return;
  llvm::json::Object ignored;
  request(llvm::json::Object{{"op", "forget"}, {"id", lastId}}, ignored);
  lastId = 0;
}

bool ModelTimer::call(int64_t which, double &ms, ModelPairs &result) {
  llvm::json::Object r{{"op", "run"}, {"id", which}, {"iterations", iterations}}, reply;
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
  // The runner's own word for its clock, not what kiln-tune's environment
  // asked for (the JIT runner ignores KILN_TUNE_CLOCK).
  noteClock(result.clock, reply);
  std::vector<double> times;
  if (const llvm::json::Array *ts = reply.getArray("times_ms"))
    for (const llvm::json::Value &v : *ts)
      times.push_back(v.getAsNumber().value_or(0));
  ms = medianOf(times);
  return true;
}

void ModelTimer::timePairs(unsigned pairs, ModelPairs &result) {
  for (unsigned p = 0; p < pairs; ++p, ++pairsTimed) {
    // The order within a pair alternates across both looks.
    double before = 0, after = 0;
    bool ok = pairsTimed % 2 ? call(lastId, after, result) && call(1, before, result)
                             : call(1, before, result) && call(lastId, after, result);
    if (!ok)
      break;
    result.beforeMs.push_back(before);
    result.afterMs.push_back(after);
  }
}

ModelPairs ModelTimer::compare(const std::string &tunedPath, unsigned pairs) {
  ModelPairs result;
  if (templateStatus != "ok") {
    result.status = templateStatus;
    return result;
  }
  forgetLast();
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
  lastId = id;
  pairsTimed = 0;
  // Each call about 20 ms of runs, by the template model's first call.
  iterations = 10;
  double first = 0;
  if (!call(1, first, result))
    return result;
  iterations = std::clamp<int64_t>(int64_t(20.0 / std::max(first, 0.05)), 3, 200);
  timePairs(pairs, result);
  return result;
}

ModelPairs ModelTimer::more(unsigned pairs) {
  ModelPairs result;
  if (!lastId) {
    result.status = "no tuned model to time again";
    return result;
  }
  timePairs(pairs, result);
  return result;
}

} // namespace kiln::tuner
