//===- CostModel.cpp - rank candidate records before measuring them -------===//
#include "tuner/CostModel.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cmath>

namespace kiln::tuner {

using codegen::ScheduleRecord;

int64_t inputChannels(const Task &task) {
  // "<pattern> 1x128x128x3 -> 1x64x64x24": the first shape's last extent.
  llvm::StringRef summary(task.summary);
  llvm::StringRef shape = summary.split(' ').second.split(' ').first;
  int64_t channels = 0;
  if (shape.rsplit('x').second.getAsInteger(10, channels) || channels <= 0)
    return task.channels;
  return channels;
}

std::vector<double> CostModel::features(const Task &task, const ScheduleRecord &r) {
  auto lg = [](double v) { return std::log2(std::max(1.0, v)); };
  int vw = std::max(1, r.vectorWidth);
  double vectors = std::max(1, r.channelTile / vw);
  double channels = double(std::max<int64_t>(1, task.channels));
  double pixels = double(std::max<int64_t>(1, task.pixels));
  double tileChannels = std::max(1, r.channelTile), tilePixels = std::max(1, r.pixelTile);
  // Accumulators live in registers: a tile of more vectors than the
  // register file spills (32 registers on AVX-512, 16 on AVX2 and NEON).
  double accumulators = vectors * r.pixelTile * r.rowTile;
  double stageVw = 0, stageVectors = 0;
  for (size_t i = 0; i + 2 < r.stageTiles.size(); i += 3) {
    stageVw += lg(r.stageTiles[i]);
    stageVectors += double(r.stageTiles[i + 1]) / std::max(1, r.stageTiles[i]);
  }
  if (!r.stageTiles.empty()) {
    stageVw /= double(r.stageTiles.size() / 3);
    stageVectors /= double(r.stageTiles.size() / 3);
  }
  std::vector<double> knob = {
      lg(vw),
      vectors / 4,
      r.pixelTile / 4.0,
      r.rowTile / 4.0,
      lg(r.unroll),
      r.computeAt == "tile" ? 1.0 : 0.0,
      r.computeAt == "root" ? 1.0 : 0.0,
      r.order == "channel_major" ? 1.0 : 0.0,
      r.parallelDims.empty() ? 0.0 : 1.0,
      accumulators / 16,
      std::max(0.0, accumulators - 24) / 8,
      std::ceil(channels / tileChannels) * tileChannels / channels - 1, // recomputed channels
      std::ceil(pixels / tilePixels) * tilePixels / pixels - 1,         // recomputed pixels
      stageVw,
      stageVectors / 4,
  };
  if (r.workgroup.size() == 3 && r.invocationTile.size() == 3) {
    // GPU records (only GPU tasks have them, so a model's features keep
    // one length): the workgroup's and tile's sizes, the invocations per
    // workgroup, and the outputs each workgroup covers.
    const std::vector<int> &wg = r.workgroup, &it = r.invocationTile;
    for (int i = 0; i < 3; ++i) {
      knob.push_back(lg(wg[i]) / 4);
      knob.push_back(lg(it[i]) / 2);
    }
    knob.push_back(lg(double(wg[0]) * wg[1] * wg[2]) / 7);
    knob.push_back(lg(double(wg[0]) * it[0] * wg[1] * it[1] * wg[2] * it[2]) / 10);
  }
  std::vector<double> shape = {lg(double(inputChannels(task))) / 8, lg(channels) / 8,
                               lg(pixels * double(std::max<int64_t>(1, task.rows))) / 16};
  std::vector<double> out = {1.0};
  out.insert(out.end(), knob.begin(), knob.end());
  out.insert(out.end(), shape.begin(), shape.end());
  for (double k : knob)
    for (double s : shape)
      out.push_back(k * s);
  return out;
}

void CostModel::add(const Task &task, const ScheduleRecord &record, double ratio) {
  PatternModel &m = models[task.pattern];
  m.x.push_back(features(task, record));
  m.y.push_back(ratio > 0 ? std::clamp(std::log(ratio), -3.0, failedTarget) : failedTarget);
  m.weights.clear();
}

size_t CostModel::points(codegen::KernelPattern pattern) const {
  auto it = models.find(pattern);
  return it == models.end() ? 0 : it->second.y.size();
}

// Ridge regression, (X'X + lambda I) w = X'y, by Gaussian elimination with
// partial pivoting: 64 features and a few hundred points, microseconds.
static std::vector<double> fitRidge(const std::vector<std::vector<double>> &x,
                                    const std::vector<double> &y, double lambda) {
  size_t n = x.front().size();
  std::vector<std::vector<double>> a(n, std::vector<double>(n + 1, 0));
  for (size_t p = 0; p < x.size(); ++p)
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j)
        a[i][j] += x[p][i] * x[p][j];
      a[i][n] += x[p][i] * y[p];
    }
  for (size_t i = 0; i < n; ++i)
    a[i][i] += lambda;
  for (size_t c = 0; c < n; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c]))
        pivot = r;
    std::swap(a[c], a[pivot]);
    for (size_t r = c + 1; r < n; ++r) {
      double f = a[r][c] / a[c][c];
      for (size_t k = c; k <= n; ++k)
        a[r][k] -= f * a[c][k];
    }
  }
  std::vector<double> w(n, 0);
  for (size_t i = n; i-- > 0;) {
    double s = a[i][n];
    for (size_t k = i + 1; k < n; ++k)
      s -= a[i][k] * w[k];
    w[i] = s / a[i][i];
  }
  return w;
}

double CostModel::predict(const Task &task, const ScheduleRecord &record) {
  auto it = models.find(task.pattern);
  if (it == models.end() || it->second.y.empty())
    return 0;
  PatternModel &m = it->second;
  if (m.weights.empty())
    m.weights = fitRidge(m.x, m.y, /*lambda=*/0.3);
  std::vector<double> f = features(task, record);
  double sum = 0;
  for (size_t i = 0; i < f.size(); ++i)
    sum += f[i] * m.weights[i];
  return sum;
}

} // namespace kiln::tuner
