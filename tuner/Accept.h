//===- Accept.h - tuned records must pay end to end ----------------*- C++ -*-===//
//
// A record that beat its template when the kernel was timed alone can still
// lose inside the model: the kernel runs after another one (whose data, not
// its own, is in the cache), and on 2 threads the pool's workers are where
// the previous kernel left them. So after the search, the tuner builds the
// whole model as kilnc would with the winning records and without them, in
// the same runner (the library runner: ahead of time, Kiln's pool), times
// the two in alternating pairs, and keeps the records only if they pay. If
// they do not, it drops the half with the smallest kernel gains and tries
// again, a bounded number of times; a record that is dropped is written to
// the database as rejected (TuningRecord::rejected) and never applies.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_ACCEPT_H
#define KILN_TUNER_ACCEPT_H

#include "tuner/Runner.h"
#include "tuner/Tuner.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kiln::tuner {

/// Pairs of whole-model calls per comparison, and what "pays" means: the
/// median of the tuned model's calls at most this fraction of the
/// templates', and the tuned model faster in more than half of the pairs.
constexpr unsigned kAcceptPairs = 15;
constexpr double kAcceptRatio = 0.99;

/// Two builds of the model timed in alternating pairs: call i of each is
/// one pair (the order within a pair alternates), each call's median of
/// about 20 ms of runs.
struct ModelPairs {
  std::vector<double> beforeMs, afterMs;
  std::string status = "ok"; ///< else why there are no times to trust
  double before() const;     ///< median of beforeMs
  double after() const;
  unsigned afterWins() const; ///< pairs the second build won
  bool pays() const;          ///< by kAcceptRatio and the majority of pairs
};

/// A kernel whose tuned record won its pair: the gain its pair measured,
/// calls x (template - tuned) in ms.
struct AcceptCandidate {
  std::string kernel, summary;
  double gainMs = 0;
};

struct AcceptStep {
  std::vector<std::string> kept; ///< kernels whose records this build had
  ModelPairs pairs;
};

struct AcceptResult {
  std::vector<std::string> accepted, rejected; ///< kernels
  std::vector<AcceptStep> steps;
};

/// `measure(kept)`: the model with the tuned records of `kept` (templates
/// elsewhere) against the model with templates only.
using MeasureModel = std::function<ModelPairs(const std::vector<std::string> &kept)>;

/// Tries all candidates, then the larger-gain half of them, and so on, at
/// most `maxSteps` builds; the first set that pays is accepted and every
/// other candidate rejected. None pays: all are rejected.
AcceptResult acceptRecords(std::vector<AcceptCandidate> candidates, const MeasureModel &measure,
                           unsigned maxSteps = 4);

/// The acceptance's verdict on `won` (a pair's winning record) at `time`:
/// a copy with `accepted` or `rejected` set, not paired, not a baseline.
codegen::TuningRecord verdict(const codegen::TuningRecord &won, const std::string &time, bool kept);

/// Whether the acceptance already judged `won` (a verdict line at or after
/// its time, for the same kernel, target and schedule).
bool judged(const codegen::TuningDb &db, const codegen::TuningRecord &won);

/// Times whole models (phase schedules, printed to a file) against the
/// model scheduled by the templates, in one runner of `options`, whose
/// outputs are the reference the others are checked against.
class ModelTimer {
public:
  ModelTimer(const TuneOptions &options, std::string templatePath);
  ModelPairs compare(const std::string &tunedPath, unsigned pairs = kAcceptPairs);

private:
  bool request(llvm::json::Object r, llvm::json::Object &reply);
  std::unique_ptr<RunnerProcess> runner;
  std::string templatePath;
  std::string templateStatus; ///< "ok" once the template model is compiled
  int64_t nextId = 2;
};

} // namespace kiln::tuner

#endif
