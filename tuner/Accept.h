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

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "tuner/Runner.h"
#include "tuner/Task.h"
#include "tuner/Tuner.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kiln::tuner {

/// Pairs of whole-model calls per look, and what "pays" means: the median
/// of the tuned model's calls at most kAcceptRatio of the templates', and
/// a one-sided sign test over the pairs (the tuned build faster in a pair,
/// ties losing) in two looks (acceptDesign): the first kAcceptPairs pairs
/// decide when they are clear; when they are promising but not clear,
/// kAcceptPairs more pairs of the same two builds are timed and all of them
/// decide. The chance that a build which changes nothing pays is at most
/// kAcceptAlpha / step for the step-th build tried; over the at most 4
/// builds at most 0.02 x (1 + 1/2 + 1/3 + 1/4) = 0.042, if the pairs are
/// independent (a machine whose load drifts is why the order within a
/// pair alternates).
constexpr unsigned kAcceptPairs = 15;
constexpr double kAcceptRatio = 0.99;
constexpr double kAcceptAlpha = 0.02;

/// P(X >= wins) for X ~ Binomial(n, 1/2): the sign test's one-sided p.
double signTestP(unsigned wins, unsigned n);

/// The two looks of the sign test for one alpha: after kAcceptPairs pairs,
/// `firstWins` or more pays; `moreFrom` up to firstWins - 1 times
/// kAcceptPairs more pairs, and then `totalWins` of the 2 x kAcceptPairs
/// pays; fewer than moreFrom does not pay. Chosen by enumerating every
/// (firstWins, totalWins), continuing only where the first look's p is at
/// most 0.2: the one with the most power (chance to pay when the tuned
/// build wins each pair with probability 0.7, a 2-3% gain on this
/// machine's noise) whose false-accept chance (a build that changes
/// nothing, 1/2 per pair) is at most alpha. For alpha 0.02: 13 of 15, or
/// from 10-12 of 15 on, 21 of 30 (false accept 0.0196, power 0.54; the one
/// look it replaces, 12 of 15: 0.0176 and 0.30).
struct AcceptDesign {
  unsigned firstWins = 0, moreFrom = 0, totalWins = 0;
  double falseAccept = 0; ///< under no change
  double power = 0;       ///< at 0.7 per pair
};
AcceptDesign acceptDesign(double alpha);

enum class AcceptVerdict { Pays, MorePairs, DoesNotPay };

/// Two builds of the model timed in alternating pairs: call i of each is
/// one pair (the order within a pair alternates), each call's median of
/// about 20 ms of runs.
struct ModelPairs {
  std::vector<double> beforeMs, afterMs;
  std::string status = "ok"; ///< else why there are no times to trust
  /// The clock the runner says it timed on (its "run" replies' "clock",
  /// folded by noteClock, Runner.h).
  std::string clock;
  double before() const; ///< median of beforeMs
  double after() const;
  unsigned afterWins() const; ///< pairs the second build won
  double signP() const;       ///< signTestP(afterWins(), pairs)
  /// By kAcceptRatio and acceptDesign(kAcceptAlpha / step) (step >= 1:
  /// the build's place among those tried): kAcceptPairs pairs are the
  /// first look, twice that the second. Fewer pairs (a runner that died
  /// part way) pay only at the first look's level, p <= signTestP(
  /// firstWins, kAcceptPairs), and never ask for more.
  AcceptVerdict verdict(unsigned step = 1) const;
  bool pays(unsigned step = 1) const { return verdict(step) == AcceptVerdict::Pays; }
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

/// `measure(kept, false)`: the model with the tuned records of `kept`
/// (templates elsewhere) against the model with templates only, in
/// kAcceptPairs pairs; `measure(kept, true)`: kAcceptPairs more pairs of
/// the two builds last measured (the same `kept`), only the new ones.
using MeasureModel = std::function<ModelPairs(const std::vector<std::string> &kept, bool more)>;

/// Tries all candidates, then the larger-gain half of them, and so on, at
/// most `maxSteps` builds (build k judged by verdict(k), with the second
/// look's pairs where it asks for them); the first set that pays is
/// accepted and every other candidate rejected. None pays: all are
/// rejected.
AcceptResult acceptRecords(std::vector<AcceptCandidate> candidates, const MeasureModel &measure,
                           unsigned maxSteps = 4);

/// The acceptance's verdict on `won` (a pair's winning record) at `time`:
/// a copy with `accepted` or `rejected` set, not paired, not a baseline.
codegen::TuningRecord verdict(const codegen::TuningRecord &won, const std::string &time, bool kept);

/// Whether the acceptance already judged `won` (a verdict line at or after
/// its time, for the same kernel, target and schedule).
bool judged(const codegen::TuningDb &db, const codegen::TuningRecord &won);

/// What the acceptance of a tune needs from kiln-tune.
struct AcceptanceInput {
  std::string dbPath;
  const std::vector<Task> *tasks = nullptr;
  const TuneReport *report = nullptr; ///< tasks' template times, by index
  codegen::TargetFingerprint fingerprint;
  mlir::ModuleOp model; ///< at phase kernels, before the schedules phase
  const codegen::ScheduleVariant *variant = nullptr;
  std::string device = "native";
  int threads = 1;
  std::string how; ///< "AOT, 1 thread": how the builds are run (the clock is the runner's word)
  bool noAccept = false; ///< time the full set once and keep it, judge nothing
};

/// The whole-model acceptance after a tune: the database's new pair
/// winners (not judged before) built into the model as kilnc --tuning-db
/// builds it and timed against the model without them (acceptRecords, a
/// ModelTimer on `options`' runner), a verdict line appended to the
/// database for each, a line per build, per rejected kernel and the
/// verdict (the 1-minute load average before and after in it) printed to
/// `os`. Returns "ok", or why the builds could not be compared (outputs
/// that differ, a runner that died): the tool exits non-zero then. An
/// error: the database or a model file could not be read or written.
llvm::Expected<std::string> runAcceptance(const AcceptanceInput &in, const TuneOptions &options,
                                          mlir::MLIRContext *context, llvm::raw_ostream &os);

/// Times whole models (phase schedules, printed to a file) against the
/// model scheduled by the templates, in one runner of `options`, whose
/// outputs are the reference the others are checked against.
class ModelTimer {
public:
  ModelTimer(const TuneOptions &options, std::string templatePath);
  ~ModelTimer();
  /// Compiles `tunedPath` (the runner forgets the one compared before) and
  /// times it against the template model in `pairs` pairs.
  ModelPairs compare(const std::string &tunedPath, unsigned pairs = kAcceptPairs);
  /// `pairs` more pairs of the model compare() compiled last (only the new
  /// ones); its status says why not if there is none.
  ModelPairs more(unsigned pairs = kAcceptPairs);

private:
  bool request(llvm::json::Object r, llvm::json::Object &reply);
  bool call(int64_t which, double &ms, ModelPairs &result);
  void timePairs(unsigned pairs, ModelPairs &result);
  void forgetLast();
  std::unique_ptr<RunnerProcess> runner;
  std::string templatePath;
  std::string templateStatus; ///< "ok" once the template model is compiled
  int64_t nextId = 2;
  int64_t lastId = 0;      ///< the tuned model compare() compiled last (0: none)
  int64_t iterations = 10; ///< runs per call, about 20 ms of the template model
  unsigned pairsTimed = 0; ///< of the last model, for the order within a pair
};

} // namespace kiln::tuner

#endif
