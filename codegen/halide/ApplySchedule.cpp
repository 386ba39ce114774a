//===- ApplySchedule.cpp - Kiln's schedule templates ----------------------===//
//
// The algorithm is in codegen/halide/emit/; this file is the schedule, in
// the style of Halide's apps: one function per template, with the knobs from
// the record and the measured speed beside it. The rewrites that keep the
// autoschedulers' schedules clear of Halide 14 bugs are in
// HalideWorkarounds.cpp.
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/ApplySchedule.h"

#include "codegen/halide/HalideWorkarounds.h"
#include "compiler/support/Error.h"

#include <mutex>
#include <set>
#include <thread>

using namespace Halide;

namespace kiln::codegen {

llvm::Expected<Target> parseHalideTarget(llvm::StringRef target) {
  if (target == "host")
    return get_host_target();
  if (!Target::validate_target_string(target.str()))
    return makeError("invalid Halide target '" + target + "'");
  return Target(target.str());
}

namespace {

// The loop variables of a Func in Halide order (dim 0 innermost).
std::vector<Var> loopVars(Func f) { return f.args(); }

// Vectorises `var` (extent `extent`) by `width` without ever touching an
// element outside [0, extent): a width that divides needs no tail, a
// larger extent shifts the last vector inward (pure stages only), a
// smaller one stays scalar (docs/TRAPS.md H1: tiles larger than the output
// read out of bounds).
template <typename StageT>
void vectorizeSafely(StageT stage, const Var &var, int64_t extent, int width, bool pure) {
  if (width <= 1 || extent < 2)
    return;
  if (extent % width == 0)
    stage.vectorize(var, width);
  else if (extent > width && pure)
    stage.vectorize(var, width, TailStrategy::ShiftInwards);
  else if (extent > width)
    stage.vectorize(var, width, TailStrategy::GuardWithIf);
}

// GENERIC: elementwise, data movement, pooling, reductions, and kernels with
// several anchors. Outputs vectorised along channels (the innermost tensor
// dim) and parallel over the record's dims; every reduction stage computed
// per output row (or tile, or root). Measured: within 1.2x of a plain copy
// on 1x56x56x144 elementwise chains (Xeon, AVX-512, 1 thread).
void applyGeneric(EmittedKernel &k, const ScheduleRecord &r) {
  for (size_t o = 0; o < k.outputs.size(); ++o) {
    Func out = k.outputs[o];
    const std::vector<int64_t> &shape = k.outputShapes[o];
    int rank = shape.size();
    if (rank == 0)
      continue;
    std::vector<Var> vars = loopVars(out);
    vectorizeSafely(out, vars[0], shape[rank - 1], r.vectorWidth, /*pure=*/true);
    for (int d : r.parallelDims)
      if (d >= 0 && d < rank - 1 && shape[d] > 1)
        out.parallel(vars[rank - 1 - d]);
  }
  for (const Stage &s : k.stages) {
    Func f = s.func;
    int rank = s.shape.size();
    std::vector<Var> vars = loopVars(f);
    // A stage that several outputs read cannot live inside one of them.
    if (k.outputs.size() != 1 || r.computeAt == "root" || rank == 0) {
      f.compute_root();
    } else {
      Func out = k.outputs[0];
      int outRank = k.outputShapes[0].size();
      std::vector<Var> outVars = loopVars(out);
      if (outRank == 0) {
        f.compute_root();
      } else {
        // "row" is Halide dim 2 (a row of an NHWC output), "tile" dim 1 (one
        // output pixel): small, constant-size intermediates on the stack.
        int level = r.computeAt == "row" ? std::min(2, outRank - 1) : std::min(1, outRank - 1);
        f.compute_at(out, outVars[level]);
      }
    }
    vectorizeSafely(f, vars[0], s.shape[rank - 1], r.vectorWidth, /*pure=*/true);
    vectorizeSafely(f.update(), vars[0], s.shape[rank - 1], r.vectorWidth, /*pure=*/false);
  }
}

} // namespace

// TILED REDUCTION: conv1x1, conv, depthwise, matmul. The output is cut into
// register tiles of channelTile channels x pixelTile pixels; the reduction
// stage is computed inside each tile with its channel vectors and pixels
// unrolled and the reduction (input channels, then the window) outside them,
// so the accumulators stay in registers.
// Measured (docs/TRAPS.md H3, Xeon AVX-512, 1 thread): 1x1 conv 163-173 GFLOP/s of
// 175 peak with 3-5 vectors x 4-8 pixels at 16 lanes; depthwise 3x3 stride 1
// 58% of peak with 2 vectors x 4 pixels; AVX2 about half; wasm simd128
// 82-106% of its mul+add peak with 8 accumulators.
bool tiledReductionFits(const std::vector<int64_t> &shape, const ScheduleRecord &r) {
  int rank = shape.size();
  return rank >= 2 && r.vectorWidth >= 1 && r.channelTile % r.vectorWidth == 0 &&
         r.channelTile <= shape[rank - 1] && r.pixelTile <= shape[rank - 2];
}

// Depthwise on WebAssembly: each row of the window summed apart (rfactor
// over the window's rows; addition reassociated), then the rows added to the
// bias, instead of one chain of KH x KW dependent multiply-adds per
// accumulator; every loop inside the tile unrolled. Measured (1 thread, Node
// 20, kernels.mjs, depthwise time over the 1x1 convs' in the same run, two
// alternating runs each at load 10-11): MobileNetV2 0.193-0.200 ->
// 0.185-0.192, BlazeFace back (5x5 windows) 0.546-0.569 -> 0.530-0.535:
// 4-5% less depthwise time. The chains were not the main bound: the hot
// loop is 21 v128 loads, each after one or two i32.add, per 18 multiply-adds
// (benchmarks/results/wasm_kernels.md).
static void splitWindowRows(Func acc, const RDom &rdom, int vw) {
  std::vector<Var> a = loopVars(acc);
  Var u("u"), rc("rc"), rv("rv");
  Func rows = acc.update().rfactor(rdom[1], u);
  std::vector<Var> b = loopVars(rows); // c, x, y, n, u
  // Inside the accumulators' tile, before their update.
  rows.compute_at(acc, Var::outermost()).store_in(MemoryType::Stack);
  rows.split(b[0], rc, rv, vw).vectorize(rv).unroll(rc).unroll(b[1]).unroll(u);
  rows.update()
      .split(b[0], rc, rv, vw)
      .vectorize(rv)
      .unroll(rc)
      .unroll(b[1])
      .unroll(u)
      .unroll(rdom[0])
      .reorder(rv, rc, b[1], u, rdom[0]);
  // The accumulators' pure definition (the bias) is scheduled already.
  std::vector<RVar> sum = acc.rvars(0);
  Halide::Stage update = acc.update();
  update.split(a[0], rc, rv, vw).vectorize(rv).unroll(rc).unroll(a[1]);
  std::vector<VarOrRVar> order = {rv, rc, a[1]};
  for (const RVar &s : sum) {
    update.unroll(s);
    order.push_back(s);
  }
  update.reorder(order);
}

bool tileReduction(Func out, Func acc, const RDom &rdom, const std::vector<int64_t> &shape,
                   const ScheduleRecord &r, bool parallel, bool windowRowsApart) {
  int rank = shape.size();
  int64_t channels = shape[rank - 1], pixels = shape[rank - 2];
  int vw = r.vectorWidth, ct = r.channelTile, pt = r.pixelTile;
  // A record from elsewhere (a tuner, a database) may not fit this shape:
  // fall back rather than tile past the tensor.
  if (!tiledReductionFits(shape, r))
    return false;

  // Tiles that do not divide their dimension shift the last one inward: the
  // accumulators are computed per tile, so every read stays inside the input
  // and the weights, at the cost of recomputing the overlap.
  auto tail = [](int64_t extent, int factor) {
    return extent % factor == 0 ? TailStrategy::RoundUp : TailStrategy::ShiftInwards;
  };
  std::vector<Var> v = loopVars(out); // c, x, y... (Halide order)
  Var c = v[0], x = v[1], co("co"), ci("ci"), cv("cv"), xo("xo"), xi("xi"), yo("yo"), yi("yi");
  out.split(c, co, ci, ct, tail(channels, ct)).split(x, xo, xi, pt, tail(pixels, pt));
  // Tiles of several rows (rank 3 and up: v[2] is the row).
  int64_t rows = rank >= 3 ? shape[rank - 3] : 1;
  int rt = rank >= 3 ? std::max(1, std::min<int>(r.rowTile, rows)) : 1;
  if (rt > 1)
    out.split(v[2], yo, yi, rt, tail(rows, rt));
  bool channelMajor = r.order == "channel_major";
  // Few rows in parallel split unevenly (7 rows on 2 threads: 4 and 3, 14%
  // idle): the rows and the channel tiles then share one parallel loop, each
  // iteration a row of one channel tile (MobileNetV2's 7x7 1x1 convs: 7 rows
  // x 4-20 tiles). The weights are read as often as pixel-major reads them.
  int64_t channelTiles = (channels + ct - 1) / ct;
  bool rowsByChannels = parallel && !channelMajor && rank >= 3 && rt == 1 && rows > 1 && rows < 8 &&
                        channelTiles > 1 && r.parallelDims.size() == 1 &&
                        r.parallelDims[0] == rank - 3;
  std::vector<VarOrRVar> loops = {ci, xi};
  if (rt > 1)
    loops.push_back(yi);
  if (!channelMajor && !rowsByChannels)
    loops.push_back(co);
  loops.push_back(xo);
  if (rowsByChannels)
    loops.push_back(co);
  for (int i = 2; i < rank; ++i)
    loops.push_back(i == 2 && rt > 1 ? yo : v[i]);
  if (channelMajor)
    loops.push_back(co);
  out.reorder(loops);
  if (vw > 1)
    out.split(ci, ci, cv, vw).vectorize(cv).unroll(ci);
  out.unroll(xi);
  if (rt > 1)
    out.unroll(yi);
  if (!parallel) {
    // The caller decides (the block template runs strips in parallel).
  } else if (channelMajor) {
    // Each thread keeps its own weight tiles.
    if (channels > ct)
      out.parallel(co);
  } else if (rowsByChannels) {
    Var rowTiles("row_tiles");
    out.fuse(co, v[2], rowTiles).parallel(rowTiles);
  } else {
    for (int d : r.parallelDims)
      if (d >= 0 && d < rank - 2 && shape[d] > 1)
        out.parallel(d == rank - 3 && rt > 1 ? yo : v[rank - 1 - d]);
    if (r.parallelDims.size() == 1 && r.parallelDims[0] == rank - 2 && pixels > pt)
      out.parallel(xo);
  }

  // The accumulators: one tile, computed where the output tile is: inside
  // the innermost tile loop, which is co pixel-major and xo when the channel
  // tiles are outside the pixels. At co, a channel-major kernel computed the
  // whole image of its channel tile as one block of accumulators: MobileNetV2's
  // 7x7x320 -> 1280 (AVX2) unrolled 3 vectors x 7 pixels, 21 accumulators in
  // 16 registers, spilled to the stack every FMA.
  std::vector<Var> a = loopVars(acc);
  Var ac = a[0], ax = a[1], aco("aco"), acv("acv");
  acc.compute_at(out, rowsByChannels || channelMajor ? xo : co).store_in(MemoryType::Stack);
  if (vw > 1)
    acc.split(ac, aco, acv, vw).vectorize(acv).unroll(aco);
  acc.unroll(ax);
  if (rt > 1)
    acc.unroll(a[2]);

  if (windowRowsApart && vw > 1 && rt == 1 && rdom.dimensions() == 2) {
    splitWindowRows(acc, rdom, vw);
    return true;
  }
  Halide::Stage update = acc.update();
  std::vector<VarOrRVar> order;
  if (vw > 1) {
    update.split(ac, aco, acv, vw).vectorize(acv).unroll(aco);
    order = {acv, aco, ax};
  } else {
    order = {ac, ax};
  }
  update.unroll(ax);
  if (rt > 1) {
    update.unroll(a[2]);
    order.push_back(a[2]);
  }
  for (int i = 0; i < rdom.dimensions(); ++i)
    order.push_back(rdom[i]);
  for (int i = rt > 1 ? 3 : 2; i < static_cast<int>(a.size()); ++i)
    order.push_back(a[i]);
  update.reorder(order);
  if (r.unroll > 1 && rdom.dimensions() > 0) {
    // Unroll the innermost reduction loop when it divides evenly.
    const Halide::Internal::ReductionVariable &rv = rdom.domain().domain()[0];
    const int64_t *extent = Halide::Internal::as_const_int(rv.extent);
    if (extent && *extent % r.unroll == 0) {
      RVar ro("ro"), ri("ri");
      update.split(rdom[0], ro, ri, r.unroll).unroll(ri);
    }
  }
  return true;
}

namespace {

// A convolution with one output pixel and many channels (FaceMesh's heads:
// 3x3x32 -> 1x1x1404) is a matrix-vector product whose weights are each
// read once. Register tiles walk the packed weights one channel tile at a
// time down the reduction, a row of all the channels apart (5.6 KB), and
// touch about twice the weights' lines; here the reduction is outside and
// all the channels inside, so the weights stream in order, with the
// accumulators in a small stack buffer (WASM: 1404 channels, the kernel
// at 15% of peak). A last partial vector is guarded (docs/TRAPS.md H1, H2);
// at most 4096 channels keep the buffer on the stack (H5). Which kernels
// and vector widths stream is codegen::streamsOnePixel (Schedule.h), so
// that provenance and the tuner's space know that only the vector width
// applies here.
bool streamOnePixel(Func out, const Stage &s, const std::vector<int64_t> &shape, int vw) {
  if (!streamsOnePixel(shape, vw) || s.rdom.dimensions() == 0)
    return false;
  int64_t channels = shape.back();
  // Vectors per step of the channel loop: independent updates to overlap.
  int64_t vectors = channels % vw == 0 ? channels / vw : 1;
  int group = vectors % 4 == 0 ? 4 : vectors % 3 == 0 ? 3 : vectors % 2 == 0 ? 2 : 1;
  std::vector<Var> v = loopVars(out);
  out.vectorize(v[0], vw);
  Func acc = s.func;
  std::vector<Var> a = loopVars(acc);
  acc.compute_at(out, Var::outermost()).store_in(MemoryType::Stack).vectorize(a[0], vw);
  Var aco("aco"), aci("aci"), acv("acv");
  Halide::Stage update = acc.update();
  update.split(a[0], aco, aci, vw * group, TailStrategy::GuardWithIf)
      .split(aci, aci, acv, vw)
      .vectorize(acv)
      .unroll(aci);
  std::vector<VarOrRVar> order = {acv, aci, aco};
  for (int i = 0; i < s.rdom.dimensions(); ++i)
    order.push_back(s.rdom[i]);
  for (size_t i = 1; i < a.size(); ++i)
    order.push_back(a[i]);
  update.reorder(order);
  return true;
}

// A kernel whose one reduction computes its one output (plus an elementwise
// epilogue): the output's register tiles hold the reduction.
bool applyTiled(EmittedKernel &k, const ScheduleRecord &r, const Target &target) {
  if (k.stages.size() != 1 || k.outputs.size() != 1 || k.stages[0].shape != k.outputShapes[0] ||
      k.outputShapes[0].size() < 2)
    return false;
  const Stage &s = k.stages[0];
  if (target.arch == Target::WebAssembly &&
      (s.kind == Stage::Conv || s.kind == Stage::FullyConnected || s.kind == Stage::MatMul) &&
      streamOnePixel(k.outputs[0], s, k.outputShapes[0], r.vectorWidth))
    return true;
  bool rowsApart = s.kind == Stage::Depthwise && target.arch == Target::WebAssembly;
  return tileReduction(k.outputs[0], s.func, s.rdom, k.outputShapes[0], r, /*parallel=*/true,
                       rowsApart);
}

const char *pluginFile(ScheduleMode mode) {
  switch (mode) {
  case ScheduleMode::Adams2019:
    return KILN_PLUGIN_ADAMS2019;
  case ScheduleMode::Li2018:
    return KILN_PLUGIN_LI2018;
  case ScheduleMode::Mullapudi2016:
    return KILN_PLUGIN_MULLAPUDI2016;
  default:
    return nullptr;
  }
}

const char *schedulerName(ScheduleMode mode) {
  switch (mode) {
  case ScheduleMode::Adams2019:
    return "Adams2019";
  case ScheduleMode::Li2018:
    return "Li2018";
  case ScheduleMode::Mullapudi2016:
    return "Mullapudi2016";
  default:
    return nullptr;
  }
}

} // namespace

llvm::Error applyAutoSchedule(EmittedKernel &kernel, ScheduleMode mode, const Target &target) {
  const char *file = pluginFile(mode);
  if (!file)
    return makeError("not an autoscheduler mode");
  // Each plugin registers its scheduler when loaded; loading twice would
  // register it twice, which Halide rejects.
  static std::mutex mutex;
  static std::set<ScheduleMode> loaded;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!loaded.count(mode)) {
      try {
        load_plugin(file);
      } catch (const Halide::Error &e) {
        return makeError("cannot load autoscheduler plugin " + llvm::Twine(file) + ": " + e.what());
      }
      loaded.insert(mode);
    }
  }
  // Parallelism and cache sizes of this kind of machine (2 cores, 2 MB L2);
  // the last argument is Halide's load-to-arithmetic cost ratio default.
  int cores = std::max(1u, std::thread::hardware_concurrency());
  MachineParams params(cores, 2 * 1024 * 1024, 40);
  try {
    kernel.pipeline.auto_schedule(schedulerName(mode), target, params);
    // What the autoscheduler chose may hit Halide 14 bugs: rewrite it first
    // (HalideWorkarounds.h says which, and how each was proven).
    storeWhereComputedAtGuardedSplits(kernel.pipeline);
    storeAtMostOneLoopOut(kernel.pipeline);
    scalarGuardedTupleVectors(kernel.pipeline);
  } catch (const Halide::Error &e) {
    return makeError("kernel '" + kernel.name + "': autoscheduler " + schedulerName(mode) +
                     " failed: " + e.what());
  }
  return llvm::Error::success();
}

llvm::Expected<ScheduleRecord> applySchedule(EmittedKernel &kernel, const ScheduleRecord &record,
                                             const Target &target) {
  if (record.mode != ScheduleMode::Template) {
    if (llvm::Error err = applyAutoSchedule(kernel, record.mode, target))
      return std::move(err);
    return record;
  }
  ScheduleRecord applied = record;
  try {
    bool tiled = record.pattern == KernelPattern::Block     ? applyBlock(kernel, record)
                 : record.pattern != KernelPattern::Generic ? applyTiled(kernel, record, target)
                                                            : false;
    if (!tiled) {
      if (record.pattern != KernelPattern::Generic) {
        applied.pattern = KernelPattern::Generic;
        applied.computeAt = "tile";
      }
      applyGeneric(kernel, applied);
    }
  } catch (const Halide::Error &e) {
    return makeError("kernel '" + kernel.name + "': cannot apply schedule '" + record.str() +
                     "': " + e.what());
  }
  return applied;
}

} // namespace kiln::codegen
