//===- Progress.h - what a running tune shows, kernel by kernel -*- C++ -*-===//
//
// Internal to tuner/ (the budget loop, Tuner.cpp, feeds it after each
// batch). On a terminal the view is a block redrawn in place: a head line
// for the whole tune (trials, elapsed, ETA, the model's estimate against
// its templates) and one line per kernel (trials done / its budget, best
// against its template, its share of the model's time). Anywhere else (a
// CI log, a pipe, a file) redrawing would leave escape codes and every
// frame in the text, so it writes one line per batch instead, naming the
// batch's kernel with the same fields.
//
// A kernel's budget is a projection, not a quota: the loop gives each
// batch to the kernel with the highest priority (calls x best time /
// sqrt(1 + trials)), so the trials still to come are projected over the
// kernels in proportion to their priorities now, and the projection moves
// as gains re-weight them. Kernels share the remaining trials interleaved
// to the end, so they share one ETA: the head line's.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_PROGRESS_H
#define KILN_TUNER_PROGRESS_H

#include "tuner/Tuner.h"

#include <vector>

namespace kiln::tuner::detail {

class Progress {
public:
  /// `live`: redraw a block in place (stderr is a terminal); else one
  /// line per batch.
  Progress(llvm::raw_ostream *os, bool live, const std::vector<Task> &tasks,
           const TuneOptions &options);

  /// After each batch: `pick` is the batch's task, `priority[t]` each
  /// task's priority in the loop (0: nothing left to try).
  void update(size_t pick, const std::vector<TaskResult> &results,
              const std::vector<double> &priority, unsigned trials, double seconds);

  /// Whether kiln-tune's progress stream should be live: a terminal that
  /// understands cursor movement, unless KILN_TUNE_PROGRESS says `lines`
  /// (or `live`: what lit's test of the block sets).
  static bool wantLive(llvm::raw_ostream &os);

private:
  /// The trials each task is projected to have when the tune ends.
  std::vector<unsigned> budgets(const std::vector<TaskResult> &results,
                                const std::vector<double> &priority, unsigned trials,
                                double seconds) const;
  double eta(unsigned trials, double seconds) const;

  llvm::raw_ostream *os;
  bool live;
  const std::vector<Task> &tasks;
  const TuneOptions &options;
  unsigned drawn = 0; ///< lines of the block on screen now
};

} // namespace kiln::tuner::detail

#endif
