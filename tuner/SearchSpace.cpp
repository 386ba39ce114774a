//===- SearchSpace.cpp - the knobs of a schedule record, for one kernel ---===//
#include "tuner/SearchSpace.h"

#include <algorithm>
#include <cstdlib>

namespace kiln::tuner {

using codegen::KernelPattern;
using codegen::ScheduleRecord;

template <typename T> static const T &pick(const std::vector<T> &values, std::mt19937 &rng) {
  return values[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng)];
}

SearchSpace::SearchSpace(const Task &task, const codegen::TargetInfo &target) : task(task) {
  for (int v = 1; v <= target.vectorLanesF32; v *= 2)
    knobs.vectorWidths.push_back(v);
  // Register tiles of 1 to 6 vectors; the template's is always among them.
  for (int n = 1; n <= 6; ++n)
    knobs.tileVectors.push_back(n);
  for (int p = 1; p <= std::min<int64_t>(8, std::max<int64_t>(1, task.pixels)); ++p)
    knobs.pixelTiles.push_back(p);
  int64_t maxRows = task.pattern == KernelPattern::Block ? task.rows : 4;
  for (int r = 1; r <= std::min<int64_t>(maxRows, std::max<int64_t>(1, task.rows)); ++r)
    if (task.pattern != KernelPattern::Block || r <= 8 || r % 2 == 0)
      knobs.rowTiles.push_back(r);
  knobs.unrolls = {1, 2, 3, 4, 8};
  knobs.parallel.push_back({});
  // Any outer dimension (not the vectorised one) may be the parallel loop.
  for (int d = 0; d + 1 < task.rank; ++d)
    knobs.parallel.push_back({d});
  if (task.pattern == KernelPattern::Generic)
    knobs.computeAt = {"row", "root"};
  else
    knobs.computeAt = {"tile", "row"};
  if (task.pattern == KernelPattern::Conv || task.pattern == KernelPattern::Conv1x1 ||
      task.pattern == KernelPattern::MatMul)
    knobs.order = {"pixel_major", "channel_major"};
  else
    knobs.order = {task.templateRecord.order};
  // The block template's stage tiles keep the template's count; their
  // vector widths come from the same list.
}

void SearchSpace::fixChannelTile(ScheduleRecord &r, int vectors) const {
  // A tile wider than the channels only recomputes (the last tile shifts
  // inward): cap it at the channels, in whole vectors.
  int64_t maxVectors = std::max<int64_t>(1, task.channels / r.vectorWidth);
  r.channelTile = r.vectorWidth * int(std::min<int64_t>(vectors, maxVectors));
}

bool SearchSpace::legal(const ScheduleRecord &r) const {
  auto in = [](const auto &values, const auto &v) { return llvm::is_contained(values, v); };
  if (!in(knobs.vectorWidths, r.vectorWidth) || r.channelTile % r.vectorWidth != 0 ||
      !in(knobs.pixelTiles, r.pixelTile) || !in(knobs.rowTiles, r.rowTile) ||
      !in(knobs.unrolls, r.unroll) || !in(knobs.parallel, r.parallelDims) ||
      !in(knobs.computeAt, r.computeAt) || !in(knobs.order, r.order))
    return false;
  return r.channelTile <= std::max<int64_t>(r.vectorWidth, task.channels);
}

// The legal value nearest to `v` (the smaller on a tie).
static int nearest(const std::vector<int> &values, int v) {
  int best = values.front();
  for (int x : values)
    if (std::abs(x - v) < std::abs(best - v))
      best = x;
  return best;
}

ScheduleRecord SearchSpace::adapt(const ScheduleRecord &record) const {
  ScheduleRecord r = record;
  r.mode = codegen::ScheduleMode::Template;
  r.pattern = task.templateRecord.pattern;
  r.vectorWidth = nearest(knobs.vectorWidths, r.vectorWidth);
  fixChannelTile(r, std::max(1, record.channelTile / std::max(1, record.vectorWidth)));
  r.pixelTile = nearest(knobs.pixelTiles, r.pixelTile);
  r.rowTile = nearest(knobs.rowTiles, r.rowTile);
  r.unroll = nearest(knobs.unrolls, r.unroll);
  if (!llvm::is_contained(knobs.parallel, r.parallelDims))
    r.parallelDims = task.templateRecord.parallelDims;
  if (!llvm::is_contained(knobs.computeAt, r.computeAt))
    r.computeAt = task.templateRecord.computeAt;
  if (!llvm::is_contained(knobs.order, r.order))
    r.order = task.templateRecord.order;
  if (r.stageTiles.size() != task.templateRecord.stageTiles.size())
    r.stageTiles = task.templateRecord.stageTiles;
  return r;
}

ScheduleRecord SearchSpace::sample(std::mt19937 &rng) const {
  ScheduleRecord r = task.templateRecord;
  r.mode = codegen::ScheduleMode::Template;
  r.vectorWidth = pick(knobs.vectorWidths, rng);
  fixChannelTile(r, pick(knobs.tileVectors, rng));
  r.pixelTile = pick(knobs.pixelTiles, rng);
  r.rowTile = pick(knobs.rowTiles, rng);
  r.unroll = pick(knobs.unrolls, rng);
  r.parallelDims = pick(knobs.parallel, rng);
  r.computeAt = pick(knobs.computeAt, rng);
  r.order = pick(knobs.order, rng);
  for (size_t i = 0; i + 2 < r.stageTiles.size(); i += 3) {
    r.stageTiles[i] = pick(knobs.vectorWidths, rng);
    r.stageTiles[i + 1] = r.stageTiles[i] * pick(knobs.tileVectors, rng);
    r.stageTiles[i + 2] = pick(knobs.pixelTiles, rng);
  }
  return r;
}

ScheduleRecord SearchSpace::mutate(const ScheduleRecord &parent, std::mt19937 &rng) const {
  ScheduleRecord r = parent;
  r.mode = codegen::ScheduleMode::Template;
  int changes = std::uniform_int_distribution<int>(1, 2)(rng);
  int numKnobs = r.stageTiles.empty() ? 8 : 9;
  for (int c = 0; c < changes; ++c) {
    int vectors = std::max(1, r.channelTile / std::max(1, r.vectorWidth));
    switch (std::uniform_int_distribution<int>(0, numKnobs - 1)(rng)) {
    case 0:
      r.vectorWidth = pick(knobs.vectorWidths, rng);
      fixChannelTile(r, vectors);
      break;
    case 1:
      fixChannelTile(r, pick(knobs.tileVectors, rng));
      break;
    case 2:
      r.pixelTile = pick(knobs.pixelTiles, rng);
      break;
    case 3:
      r.rowTile = pick(knobs.rowTiles, rng);
      break;
    case 4:
      r.unroll = pick(knobs.unrolls, rng);
      break;
    case 5:
      r.parallelDims = pick(knobs.parallel, rng);
      break;
    case 6:
      r.computeAt = pick(knobs.computeAt, rng);
      break;
    case 7:
      r.order = pick(knobs.order, rng);
      break;
    default: {
      size_t stage = 3 * std::uniform_int_distribution<size_t>(0, r.stageTiles.size() / 3 - 1)(rng);
      r.stageTiles[stage] = pick(knobs.vectorWidths, rng);
      r.stageTiles[stage + 1] = r.stageTiles[stage] * pick(knobs.tileVectors, rng);
      r.stageTiles[stage + 2] = pick(knobs.pixelTiles, rng);
    }
    }
  }
  return r;
}

std::vector<ScheduleRecord> SearchSpace::grid(size_t limit) const {
  // Nested in order of expected impact, so a truncated grid still covers
  // vector width and tiles before the finer knobs.
  std::vector<ScheduleRecord> out;
  for (int vw : knobs.vectorWidths)
    for (int nv : knobs.tileVectors)
      for (int pt : knobs.pixelTiles)
        for (const std::vector<int> &par : knobs.parallel)
          for (int rt : knobs.rowTiles)
            for (int un : knobs.unrolls)
              for (const std::string &at : knobs.computeAt)
                for (const std::string &order : knobs.order) {
                  if (out.size() >= limit)
                    return out;
                  ScheduleRecord r = task.templateRecord;
                  r.mode = codegen::ScheduleMode::Template;
                  r.vectorWidth = vw;
                  fixChannelTile(r, nv);
                  r.pixelTile = pt;
                  r.parallelDims = par;
                  r.rowTile = rt;
                  r.unroll = un;
                  r.computeAt = at;
                  r.order = order;
                  if (std::find(out.begin(), out.end(), r) == out.end())
                    out.push_back(r);
                }
  return out;
}

} // namespace kiln::tuner
