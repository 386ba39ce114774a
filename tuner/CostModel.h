//===- CostModel.h - rank candidate records before measuring them -*- C++ -*-===//
//
// A cheap model of how fast a record will run, learned online from the
// measurements of this tune: one ridge regression per kernel pattern, over
// features of the record's knobs and of the kernel's shape (and their
// products), predicting log(time / the task's template time). Normalising
// by the template lets all tasks of a pattern train one model, so that what
// the first conv1x1 taught applies to the next fifteen before any of them is
// measured. Failed candidates (crash, timeout, compile error, wrong) train
// it as three times slower than the template, which steers the search away
// from the knob combinations Halide cannot compile.
//
// It only ranks: every candidate it picks is still measured, so a poor fit
// costs trials, never correctness.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_COSTMODEL_H
#define KILN_TUNER_COSTMODEL_H

#include "codegen/schedule/Schedule.h"
#include "tuner/Task.h"

#include <map>
#include <vector>

namespace kiln::tuner {

class CostModel {
public:
  /// Predicted log(time / template time) of a failed candidate.
  static constexpr double failedTarget = 1.1; // log(3)

  /// One measurement: `ratio` is time / template time, or 0 for a failure.
  void add(const Task &task, const codegen::ScheduleRecord &record, double ratio);
  /// Points of `pattern` the model has; below `minPoints` it does not rank.
  size_t points(codegen::KernelPattern pattern) const;
  /// Predicted log(time / template time); refits lazily after add().
  double predict(const Task &task, const codegen::ScheduleRecord &record);

  /// The features, exposed for tests: knobs, shape, and their products.
  static std::vector<double> features(const Task &task, const codegen::ScheduleRecord &record);

private:
  struct PatternModel {
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    std::vector<double> weights; ///< empty: needs a refit
  };
  std::map<codegen::KernelPattern, PatternModel> models;
};

/// Input channels of a task, from its summary ("conv 1x128x128x3 -> ...").
int64_t inputChannels(const Task &task);

} // namespace kiln::tuner

#endif
