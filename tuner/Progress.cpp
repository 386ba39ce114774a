//===- Progress.cpp - what a running tune shows, kernel by kernel ---------===//
#include "tuner/Progress.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>

namespace kiln::tuner::detail {

namespace {
// MoveNet has 96 kernels: the block shows the ones with the most time (and
// the batch's), the rest in one line, so that it fits a terminal.
constexpr size_t kMaxRows = 12;

std::string clockText(double seconds) {
  long s = std::lround(std::max(0.0, seconds));
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60)
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%lds", s);
  return text;
}
} // namespace

Progress::Progress(llvm::raw_ostream *os, bool live, const std::vector<Task> &tasks,
                   const TuneOptions &options)
    : os(os), live(live), tasks(tasks), options(options) {}

bool Progress::wantLive(llvm::raw_ostream &os) {
  if (const char *forced = std::getenv("KILN_TUNE_PROGRESS"))
    return std::strcmp(forced, "live") == 0;
  const char *term = std::getenv("TERM");
  return os.is_displayed() && term && std::strcmp(term, "dumb") != 0;
}

double Progress::eta(unsigned trials, double seconds) const {
  double byMinutes = options.minutes > 0 ? options.minutes * 60 - seconds : INFINITY;
  double byTrials = options.trials && trials
                        ? seconds / trials * (double(options.trials) - double(trials))
                        : INFINITY;
  double left = std::min(byMinutes, byTrials);
  return std::isfinite(left) ? std::max(0.0, left) : 0;
}

std::vector<unsigned> Progress::budgets(const std::vector<TaskResult> &results,
                                        const std::vector<double> &priority, unsigned trials,
                                        double seconds) const {
  // Trials still to come: what --trials leaves, or what --minutes leaves
  // at the rate so far, whichever ends the tune first.
  double left = INFINITY;
  if (options.trials)
    left = double(options.trials) - double(trials);
  if (options.minutes > 0 && trials && seconds > 0)
    left = std::min(left, trials / seconds * std::max(0.0, options.minutes * 60 - seconds));
  if (!std::isfinite(left))
    left = 0;
  // A task never measured has an infinite priority in the loop (it goes
  // first): here it counts as the largest finite one.
  double largest = 0;
  for (double p : priority)
    if (std::isfinite(p))
      largest = std::max(largest, p);
  std::vector<double> weight(priority.size());
  for (size_t t = 0; t < priority.size(); ++t)
    weight[t] = std::isfinite(priority[t]) ? priority[t] : std::max(largest, 1e-9);
  double sum = std::accumulate(weight.begin(), weight.end(), 0.0);
  std::vector<unsigned> out(results.size());
  for (size_t t = 0; t < results.size(); ++t)
    out[t] = results[t].trials +
             unsigned(std::lround(sum > 0 ? std::max(0.0, left) * weight[t] / sum : 0));
  return out;
}

void Progress::update(size_t pick, const std::vector<TaskResult> &results,
                      const std::vector<double> &priority, unsigned trials, double seconds) {
  if (!os)
    return;
  std::vector<unsigned> budget = budgets(results, priority, trials, seconds);
  double model = 0, templates = 0;
  bool allTimed = true;
  for (size_t t = 0; t < tasks.size(); ++t) {
    model += tasks[t].calls * results[t].bestMs;
    templates += tasks[t].calls * results[t].templateMs;
    allTimed &= results[t].bestMs > 0 && results[t].templateMs > 0;
  }
  auto kernelFields = [&](size_t t) {
    const TaskResult &r = results[t];
    std::string text;
    llvm::raw_string_ostream s(text);
    s << llvm::format("%4u/%-4u", r.trials, budget[t]);
    if (r.bestMs <= 0)
      s << "  not timed yet";
    else {
      s << llvm::format("  best %8.4f ms", r.bestMs);
      if (r.templateMs > 0)
        s << llvm::format("  %5.2fx template", r.templateMs / r.bestMs);
      if (allTimed)
        s << llvm::format("  %4.1f%% of model", 100 * tasks[t].calls * r.bestMs / model);
    }
    if (r.failed)
      s << "  " << r.failed << " failed";
    return text;
  };
  std::string trialsText = options.trials ? llvm::formatv("{0}/{1}", trials, options.trials).str()
                                          : std::to_string(trials);

  if (!live) {
    *os << llvm::format("[%s] task %zu %-44s ", trialsText.c_str(), pick,
                        tasks[pick].summary.c_str())
        << kernelFields(pick)
        << llvm::format("  model ~%.3f ms  ETA %s\n", model,
                        clockText(eta(trials, seconds)).c_str());
    os->flush();
    return;
  }

  // The block: the kernels with the most template time (an order that
  // does not shuffle as bests move), and the batch's.
  std::vector<size_t> order(tasks.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tasks[a].calls * results[a].templateMs > tasks[b].calls * results[b].templateMs;
  });
  std::vector<size_t> shown(order.begin(), order.begin() + std::min(kMaxRows, order.size()));
  if (std::find(shown.begin(), shown.end(), pick) == shown.end())
    shown.back() = pick;
  std::vector<std::string> lines;
  std::string head;
  llvm::raw_string_ostream h(head);
  h << "kiln-tune: " << trialsText << " trials, " << clockText(seconds) << ", ETA "
    << clockText(eta(trials, seconds));
  if (allTimed)
    h << llvm::format(", model ~%.3f ms (templates %.3f ms, %.2fx)", model, templates,
                      templates / model);
  lines.push_back(head);
  for (size_t t : shown)
    lines.push_back(
        llvm::formatv("{0} task {1,-3} {2,-44} ", t == pick ? '>' : ' ', t, tasks[t].summary)
            .str() +
        kernelFields(t));
  if (shown.size() < tasks.size()) {
    unsigned rest = 0;
    for (size_t t = 0; t < tasks.size(); ++t)
      if (std::find(shown.begin(), shown.end(), t) == shown.end())
        rest += results[t].trials;
    lines.push_back(
        llvm::formatv("  ... {0} more kernels, {1} trials", tasks.size() - shown.size(), rest)
            .str());
  }
  // Back to the block's first line, then each line cleared and rewritten;
  // lines left over from a longer block are cleared.
  if (drawn)
    *os << "\x1b[" << drawn << "F";
  for (const std::string &line : lines)
    *os << "\x1b[2K" << line << "\n";
  for (unsigned extra = lines.size(); extra < drawn; ++extra)
    *os << "\x1b[2K\n";
  drawn = std::max<unsigned>(drawn, lines.size());
  os->flush();
}

} // namespace kiln::tuner::detail
