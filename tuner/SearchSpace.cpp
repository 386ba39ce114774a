//===- SearchSpace.cpp - the knobs of a schedule record, for one kernel ---===//
#include "tuner/SearchSpace.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace kiln::tuner {

using codegen::KernelPattern;
using codegen::ScheduleRecord;

template <typename T> static const T &pick(const std::vector<T> &values, std::mt19937 &rng) {
  return values[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng)];
}

SearchSpace::SearchSpace(const Task &task, const codegen::TargetInfo &target)
    : task(task), gpu(target.isGpu), wasm(target.isWasm) {
  if (gpu) {
    gpuKnobs();
    return;
  }
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

// Workgroups over (channels, columns, rows): x a multiple of 8 (lavapipe
// runs 8 invocations a SIMD step, targets/spirv), y and z powers of two, at
// most 128 invocations (what every Vulkan device allows: the record's
// verifier) and no dimension wider than the output needs. Invocation tiles:
// 1, 2 or 4 channels, 1 to 8 columns, 1 or 2 rows, no wider than the
// output (RegisterTile shifts the last tile inward, so a tile must fit).
void SearchSpace::gpuKnobs() {
  auto upTo = [](int64_t extent, std::vector<int> values) {
    std::vector<int> out;
    for (int v : values)
      if (out.empty() || v <= std::max<int64_t>(1, extent))
        out.push_back(v);
    return out;
  };
  std::vector<int> xs = upTo(task.channels + 7, {8, 16, 24, 32, 48, 64});
  std::vector<int> ys = upTo(task.pixels, {1, 2, 4, 8, 16});
  std::vector<int> zs = upTo(task.rows, {1, 2, 4});
  for (int x : xs)
    for (int y : ys)
      for (int z : zs)
        if (x * y * z <= 128)
          knobs.workgroups.push_back({x, y, z});
  for (int x : upTo(task.channels, {1, 2, 4}))
    for (int y : upTo(task.pixels, {1, 2, 4, 8}))
      for (int z : upTo(task.rows, {1, 2}))
        knobs.invocationTiles.push_back({x, y, z});
  // The template is always a legal point.
  auto ensure = [](std::vector<std::vector<int>> &values, const std::vector<int> &v) {
    if (v.size() == 3 && !llvm::is_contained(values, v))
      values.insert(values.begin(), v);
  };
  ensure(knobs.workgroups, task.templateRecord.workgroup);
  ensure(knobs.invocationTiles, task.templateRecord.invocationTile);
}

void SearchSpace::fixChannelTile(ScheduleRecord &r, int vectors) const {
  // A tile wider than the channels only recomputes (the last tile shifts
  // inward): cap it at the channels, in whole vectors.
  int64_t maxVectors = std::max<int64_t>(1, task.channels / r.vectorWidth);
  r.channelTile = r.vectorWidth * int(std::min<int64_t>(vectors, maxVectors));
}

bool SearchSpace::streams(int vectorWidth) const {
  return wasm && !task.streamShape.empty() &&
         codegen::streamsOnePixel(task.streamShape, vectorWidth);
}

// A streaming record's code depends on its vector width alone
// (ApplySchedule.cpp, streamOnePixel): the rest is the template's, so the
// template itself stays a point of the space, and two records of one
// width are one candidate.
ScheduleRecord SearchSpace::canonical(ScheduleRecord r) const {
  if (gpu || r.mode != codegen::ScheduleMode::Template || !streams(r.vectorWidth))
    return r;
  const ScheduleRecord &t = task.templateRecord;
  int vectorWidth = r.vectorWidth;
  r = t;
  r.vectorWidth = vectorWidth;
  fixChannelTile(r, std::max(1, t.channelTile / std::max(1, t.vectorWidth)));
  return r;
}

bool SearchSpace::legal(const ScheduleRecord &r) const {
  auto in = [](const auto &values, const auto &v) { return llvm::is_contained(values, v); };
  if (!pool.empty())
    return in(pool, r);
  if (gpu)
    return in(knobs.workgroups, r.workgroup) && in(knobs.invocationTiles, r.invocationTile);
  if (!in(knobs.vectorWidths, r.vectorWidth) || r.channelTile % r.vectorWidth != 0 ||
      !in(knobs.pixelTiles, r.pixelTile) || !in(knobs.rowTiles, r.rowTile) ||
      !in(knobs.unrolls, r.unroll) || !in(knobs.parallel, r.parallelDims) ||
      !in(knobs.computeAt, r.computeAt) || !in(knobs.order, r.order))
    return false;
  if (streams(r.vectorWidth) && !(r == canonical(r)))
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
  if (!pool.empty()) {
    SearchSpace whole = *this;
    whole.pool.clear();
    return nearestInPool(whole.adapt(record), nullptr);
  }
  ScheduleRecord r = record;
  r.mode = codegen::ScheduleMode::Template;
  r.pattern = task.templateRecord.pattern;
  if (gpu) {
    // Each part moved to the legal value nearest it, then the pair kept
    // only if the space has it.
    ScheduleRecord out = task.templateRecord;
    out.mode = codegen::ScheduleMode::Template;
    auto fit = [](const std::vector<std::vector<int>> &values, const std::vector<int> &v,
                  std::vector<int> &into) {
      if (v.size() != 3)
        return;
      const std::vector<int> *best = nullptr;
      int64_t bestDistance = 0;
      for (const std::vector<int> &c : values) {
        int64_t d = std::abs(c[0] - v[0]) + std::abs(c[1] - v[1]) + std::abs(c[2] - v[2]);
        if (!best || d < bestDistance)
          best = &c, bestDistance = d;
      }
      if (best)
        into = *best;
    };
    fit(knobs.workgroups, record.workgroup, out.workgroup);
    fit(knobs.invocationTiles, record.invocationTile, out.invocationTile);
    return out;
  }
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
  return canonical(r);
}

ScheduleRecord SearchSpace::sample(std::mt19937 &rng) const {
  if (!pool.empty())
    return pick(pool, rng);
  ScheduleRecord r = task.templateRecord;
  r.mode = codegen::ScheduleMode::Template;
  if (gpu) {
    r.workgroup = pick(knobs.workgroups, rng);
    r.invocationTile = pick(knobs.invocationTiles, rng);
    return r;
  }
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
  return canonical(r);
}

ScheduleRecord SearchSpace::mutate(const ScheduleRecord &parent, std::mt19937 &rng) const {
  if (!pool.empty()) {
    SearchSpace whole = *this;
    whole.pool.clear();
    return nearestInPool(whole.mutate(parent, rng), &parent);
  }
  ScheduleRecord r = parent;
  r.mode = codegen::ScheduleMode::Template;
  int changes = std::uniform_int_distribution<int>(1, 2)(rng);
  if (gpu) {
    // One change: a new workgroup or a new tile; two: both.
    bool both = changes == 2, workgroup = std::uniform_int_distribution<int>(0, 1)(rng);
    if (both || workgroup)
      r.workgroup = pick(knobs.workgroups, rng);
    if (both || !workgroup)
      r.invocationTile = pick(knobs.invocationTiles, rng);
    return r;
  }
  int numKnobs = r.stageTiles.empty() ? 8 : 9;
  for (int c = 0; c < changes; ++c) {
    int vectors = std::max(1, r.channelTile / std::max(1, r.vectorWidth));
    int knob = std::uniform_int_distribution<int>(0, numKnobs - 1)(rng);
    // A streaming record has one knob that does anything.
    if (streams(r.vectorWidth))
      knob = 0;
    switch (knob) {
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
  return canonical(r);
}

std::vector<ScheduleRecord> SearchSpace::grid(size_t limit) const {
  // Nested in order of expected impact, so a truncated grid still covers
  // vector width and tiles before the finer knobs.
  std::vector<ScheduleRecord> out;
  if (!pool.empty()) {
    out = pool;
    std::stable_sort(out.begin(), out.end(), [&](const ScheduleRecord &a, const ScheduleRecord &b) {
      return gridKey(a) < gridKey(b);
    });
    if (out.size() > limit)
      out.resize(limit);
    return out;
  }
  if (gpu) {
    // The tile first (it changes the work per invocation most), then the
    // workgroup.
    for (const std::vector<int> &tile : knobs.invocationTiles)
      for (const std::vector<int> &wg : knobs.workgroups) {
        if (out.size() >= limit)
          return out;
        ScheduleRecord r = task.templateRecord;
        r.mode = codegen::ScheduleMode::Template;
        r.workgroup = wg;
        r.invocationTile = tile;
        out.push_back(r);
      }
    return out;
  }
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
                  r = canonical(r);
                  if (std::find(out.begin(), out.end(), r) == out.end())
                    out.push_back(r);
                }
  return out;
}

void SearchSpace::restrictTo(std::vector<ScheduleRecord> records) {
  pool.clear();
  for (ScheduleRecord &r : records)
    if (r.mode == codegen::ScheduleMode::Template && !llvm::is_contained(pool, r))
      pool.push_back(std::move(r));
}

// Knobs apart, the numeric ones also by how far (log2), so that among
// records one knob away the nearest value wins; GPU records by their two
// triples.
static double distance(const ScheduleRecord &a, const ScheduleRecord &b) {
  auto num = [](int x, int y) {
    return x == y ? 0.0
                  : 1.0 + 0.01 * std::abs(std::log2(double(std::max(1, x))) -
                                          std::log2(double(std::max(1, y))));
  };
  double d = num(a.vectorWidth, b.vectorWidth) + num(a.channelTile, b.channelTile) +
             num(a.pixelTile, b.pixelTile) + num(a.rowTile, b.rowTile) + num(a.unroll, b.unroll);
  d += (a.parallelDims != b.parallelDims) + (a.computeAt != b.computeAt) + (a.order != b.order) +
       (a.stageTiles != b.stageTiles) + (a.workgroup != b.workgroup) +
       (a.invocationTile != b.invocationTile);
  return d;
}

// The pool record nearest `r` (not `besides`, the parent of a mutation:
// a mutation must move). Ties go to the earlier record in the pool.
ScheduleRecord SearchSpace::nearestInPool(const ScheduleRecord &r,
                                          const ScheduleRecord *besides) const {
  const ScheduleRecord *best = nullptr;
  double bestDistance = 0;
  for (const ScheduleRecord &c : pool) {
    if (besides && c == *besides)
      continue;
    double d = distance(c, r);
    if (!best || d < bestDistance)
      best = &c, bestDistance = d;
  }
  return best ? *best : r;
}

// The grid's nesting order (grid() below) as a sortable key: each knob's
// position in its list of values.
std::vector<int> SearchSpace::gridKey(const ScheduleRecord &r) const {
  auto at = [](const auto &values, const auto &v) {
    auto it = std::find(values.begin(), values.end(), v);
    return int(it - values.begin());
  };
  if (gpu)
    return {at(knobs.invocationTiles, r.invocationTile), at(knobs.workgroups, r.workgroup)};
  return {at(knobs.vectorWidths, r.vectorWidth), r.channelTile / std::max(1, r.vectorWidth),
          at(knobs.pixelTiles, r.pixelTile),     at(knobs.parallel, r.parallelDims),
          at(knobs.rowTiles, r.rowTile),         at(knobs.unrolls, r.unroll),
          at(knobs.computeAt, r.computeAt),      at(knobs.order, r.order)};
}

} // namespace kiln::tuner
