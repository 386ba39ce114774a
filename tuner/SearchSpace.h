//===- SearchSpace.h - the knobs of a schedule record, for one kernel -*- C++ -*-===//
//
// What the tuner may vary for a task, and how: every knob of the record
// that the task's pattern uses, each over the values that make sense for
// the kernel's shape and the target's vectors (legality filters: a channel
// tile is a multiple of the vector width and no wider than the channels,
// tiles no larger than the output, parallel loops over dimensions with more
// than one iteration). Random draws come from a seeded generator, so the
// same seed gives the same candidates. On a GPU target (spirv) the knobs
// are the record's workgroup and invocation tile instead, and the CPU ones
// keep the template's values. Only knobs the code uses vary: where a
// vector width makes a WASM one-pixel kernel stream its weights
// (codegen::streamsOnePixel), that width is one point, the other knobs
// the template's, so no two candidates compile to the same code.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_SEARCHSPACE_H
#define KILN_TUNER_SEARCHSPACE_H

#include "codegen/schedule/Schedule.h"
#include "tuner/Task.h"

#include <random>
#include <vector>

namespace kiln::tuner {

class SearchSpace {
public:
  SearchSpace(const Task &task, const codegen::TargetInfo &target);

  /// A record drawn uniformly, knob by knob (template mode).
  codegen::ScheduleRecord sample(std::mt19937 &rng) const;
  /// `parent` with one or two knobs changed to another legal value.
  codegen::ScheduleRecord mutate(const codegen::ScheduleRecord &parent, std::mt19937 &rng) const;
  /// Every legal record, in a fixed order, up to `limit` (grid search).
  std::vector<codegen::ScheduleRecord> grid(size_t limit) const;
  /// `record` (another task's of the same pattern) fitted to this space:
  /// each knob moved to the nearest legal value (tiles clamped to this
  /// task's channels, pixels and rows; a parallel dimension it lacks
  /// dropped). What one conv1x1 found is a good first guess for the next.
  codegen::ScheduleRecord adapt(const codegen::ScheduleRecord &record) const;
  /// True if every knob of `r` is one this space allows (with a pool: if
  /// the pool holds it).
  bool legal(const codegen::ScheduleRecord &r) const;

  /// Restricts the space to `pool` (template-mode records of this task),
  /// for replaying searches against a table measured once (`kiln-tune
  /// --replay`): sample() draws from the pool, mutate() and adapt() move
  /// their result to the nearest pool record (fewest knobs apart), grid()
  /// walks the pool in the grid's order. Each search then proposes only
  /// records the table has a time for.
  void restrictTo(std::vector<codegen::ScheduleRecord> pool);

private:
  struct Knobs {
    std::vector<int> vectorWidths, tileVectors, pixelTiles, rowTiles, unrolls;
    std::vector<std::vector<int>> parallel;
    std::vector<std::string> computeAt, order;
    /// GPU: legal (workgroup, invocation tile) pairs' parts.
    std::vector<std::vector<int>> workgroups, invocationTiles;
  };
  const Task &task;
  bool gpu = false, wasm = false;
  Knobs knobs;
  /// Empty: the whole space.
  std::vector<codegen::ScheduleRecord> pool;
  void fixChannelTile(codegen::ScheduleRecord &r, int vectors) const;
  /// True where `vectorWidth` makes this task stream one pixel (WASM).
  bool streams(int vectorWidth) const;
  /// `r` with the knobs its code does not use set to the template's.
  codegen::ScheduleRecord canonical(codegen::ScheduleRecord r) const;
  codegen::ScheduleRecord nearestInPool(const codegen::ScheduleRecord &r,
                                        const codegen::ScheduleRecord *besides) const;
  std::vector<int> gridKey(const codegen::ScheduleRecord &r) const;
  void gpuKnobs();
};

} // namespace kiln::tuner

#endif
