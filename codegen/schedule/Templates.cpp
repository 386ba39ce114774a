//===- Templates.cpp - the schedule a kernel gets without tuning ----------===//
//
// classifyKernel names a kernel's pattern; chooseTemplate gives the pattern
// its hand-written schedule record for a target (register tiles sized to the
// target's vector registers, cache rules measured on the machines named in
// the comments). Records are data (Schedule.cpp); ApplySchedule.cpp turns
// one into Halide schedule calls.
//
//===----------------------------------------------------------------------===//
#include "codegen/schedule/Schedule.h"

#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/transforms/Outline.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;

namespace kiln::codegen {
static ArrayRef<int64_t> shapeOf(Value v) { return cast<ShapedType>(v.getType()).getShape(); }

// The reductions of a kernel, in body order.
static SmallVector<Operation *> anchorsOf(KernelOp kernel) {
  SmallVector<Operation *> anchors;
  for (Operation &op : kernel.getBody().front())
    if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::TransposeConv2DOp,
            tosa::FullyConnectedOp, tosa::MatMulOp>(op))
      anchors.push_back(&op);
  return anchors;
}

// What kiln-fuse-blocks makes: [1x1 conv ->] depthwise (multiplier 1) ->
// 1x1 conv, each reading the one before (through elementwise ops), with the
// kernel's one result shaped like the last conv.
static bool isBlock(KernelOp kernel, ArrayRef<Operation *> anchors) {
  if (anchors.size() < 2 || anchors.size() > 3 || kernel.getNumResults() != 1 ||
      shapeOf(anchors.back()->getResult(0)) != shapeOf(kernel.getResult(0)))
    return false;
  auto dw = dyn_cast<tosa::DepthwiseConv2DOp>(anchors[anchors.size() - 2]);
  if (!dw || shapeOf(dw.getWeight())[3] != 1 || !kiln::isPointwiseConv(anchors.back()) ||
      (anchors.size() == 3 && !kiln::isPointwiseConv(anchors[0])))
    return false;
  // Each reduction's activation input derives from the previous one (a
  // block argument for the first).
  for (size_t i = 0; i < anchors.size(); ++i) {
    Value input = anchors[i]->getOperand(0);
    while (Operation *def = input.getDefiningOp()) {
      if (i > 0 && def == anchors[i - 1])
        break;
      if (def->getNumOperands() == 0 || shapeOf(def->getResult(0)) != shapeOf(input))
        return false;
      input = def->getOperand(0);
    }
    if ((i == 0) != isa<BlockArgument>(input))
      return false;
  }
  return true;
}

KernelPattern classifyKernel(KernelOp kernel) {
  SmallVector<Operation *> anchors = anchorsOf(kernel);
  if (isBlock(kernel, anchors))
    return KernelPattern::Block;
  if (anchors.size() != 1)
    return KernelPattern::Generic; // several anchors: no single register tile
  Operation *anchor = anchors.empty() ? nullptr : anchors[0];
  // The tiled templates compute the anchor inside the output's tiles, which
  // only makes sense when the output has the anchor's shape (an elementwise
  // epilogue, not a reshape or a second output).
  if (!anchor || kernel.getNumResults() != 1 ||
      shapeOf(anchor->getResult(0)) != shapeOf(kernel.getResult(0)))
    return KernelPattern::Generic;
  if (auto conv = dyn_cast<tosa::Conv2DOp>(anchor)) {
    ArrayRef<int64_t> w = shapeOf(conv.getWeight());
    bool unitWindow = w[1] == 1 && w[2] == 1;
    bool noPad = llvm::all_of(conv.getPad(), [](int64_t p) { return p == 0; });
    bool unitStride = llvm::all_of(conv.getStride(), [](int64_t s) { return s == 1; });
    return unitWindow && noPad && unitStride ? KernelPattern::Conv1x1 : KernelPattern::Conv;
  }
  if (isa<tosa::TransposeConv2DOp>(anchor))
    return KernelPattern::Conv;
  if (isa<tosa::DepthwiseConv2DOp>(anchor))
    return KernelPattern::Depthwise;
  return KernelPattern::MatMul;
}

// ApplySchedule.cpp decides on the emitted stage: a Conv, FullyConnected or
// MatMul stage (tosa.conv2d, quantized or not, tosa.fully_connected,
// tosa.matmul) alone in a kernel whose one output has its shape: the
// kernels classifyKernel calls conv, conv1x1 or matmul, less transposed
// convs.
bool streamsOnePixel(ArrayRef<int64_t> outputShape, int vectorWidth) {
  if (outputShape.size() < 2 || vectorWidth < 2)
    return false;
  for (int64_t d : outputShape.drop_back())
    if (d != 1)
      return false;
  int64_t channels = outputShape.back();
  return channels >= 64 * int64_t(vectorWidth) && channels <= 4096;
}

std::vector<int64_t> streamableShape(KernelOp kernel) {
  KernelPattern pattern = classifyKernel(kernel);
  if (pattern != KernelPattern::Conv && pattern != KernelPattern::Conv1x1 &&
      pattern != KernelPattern::MatMul)
    return {};
  if (isa<tosa::TransposeConv2DOp>(anchorsOf(kernel)[0]))
    return {};
  ArrayRef<int64_t> shape = shapeOf(kernel.getResult(0));
  return {shape.begin(), shape.end()};
}

bool streamsOnePixel(KernelOp kernel, const TargetInfo &target, const ScheduleRecord &record) {
  return target.isWasm && record.mode == ScheduleMode::Template &&
         record.pattern != KernelPattern::Generic && record.pattern != KernelPattern::Block &&
         streamsOnePixel(streamableShape(kernel), record.vectorWidth);
}

// Multiply-adds per output element of the kernel's anchor (1 without one).
static int64_t reductionSize(KernelOp kernel) {
  for (Operation &op : kernel.getBody().front()) {
    if (auto dw = dyn_cast<tosa::DepthwiseConv2DOp>(op)) {
      ArrayRef<int64_t> w = shapeOf(dw.getWeight()); // [KH, KW, C, M]
      return w[0] * w[1];
    }
    if (isa<tosa::Conv2DOp, tosa::TransposeConv2DOp, tosa::FullyConnectedOp>(op)) {
      ArrayRef<int64_t> w = shapeOf(op.getOperand(1)); // [OC, ...]
      int64_t n = 1;
      for (int64_t d : w.drop_front())
        n *= d;
      return n;
    }
    if (auto mm = dyn_cast<tosa::MatMulOp>(op))
      return shapeOf(mm.getA()).back();
  }
  return 1;
}

// True when the kernel's conv or matmul is quantized (integer products
// with int32 accumulators).
static bool integerAnchor(KernelOp kernel) {
  for (Operation &op : kernel.getBody().front()) {
    if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
      return bool(conv.getQuantizationInfoAttr());
    if (auto mm = dyn_cast<tosa::MatMulOp>(op))
      return bool(mm.getQuantizationInfoAttr());
  }
  return false;
}

// The widest power-of-two vector, up to `lanes`, that fits in `n`.
static int fittingWidth(int64_t n, int lanes) {
  int v = lanes;
  while (v > 1 && v > n)
    v /= 2;
  return v;
}

// How many vector accumulators a register tile may hold, leaving room for
// the operands: 32 zmm or NEON q registers -> 24, 16 ymm/xmm -> 12, wasm ->
// 8 (docs/TRAPS.md H3).
static int accumulatorBudget(const TargetInfo &target) {
  // arm64 NEON has 32 q registers of 4 f32: 24 accumulators, as AVX-512.
  // Measured in instructions per inference under qemu (1 thread,
  // benchmarks/arm64/count.mjs; no arm64 hardware to time on), 24 against
  // 12: MobileNetV2 167.7 -> 142.8 M, BlazeFace back 114.9 -> 104.4 M,
  // FaceMesh 20.7 -> 19.3 M, BlazeFace front 17.6 -> 17.9 M. Depthwise 4
  // vectors wide instead of 2 was no better (143.5 M, 105.7 M).
  return target.isWasm ? 8 : target.vectorLanesF32 >= 16 || target.isArm ? 24 : 12;
}

// x86 below AVX-512: 16 vector registers. The feature, not the vector
// width: an AVX-512 target using 256-bit vectors still has 32 registers.
static bool x86SixteenRegisters(const TargetInfo &target) {
  return !target.isWasm && !target.isArm && !target.isGpu && !target.hasAvx512;
}

// A register tile: channels x pixels of a row x rows.
struct RegisterTile {
  int channels, pixels, rows = 1;
};

// Register tile: nvec vectors of output channels by pt pixels (by rt rows,
// up to `rows`), at most accumulatorBudget() accumulators, discounted by the
// channels, pixels and rows a shifted last tile computes twice. Ties go to
// one row, then to the wider channel tile (fewer re-reads of the input), or
// with `weightsBound` to the taller pixel tile: every pixel tile streams all
// the weights again. `spare`: vector registers the tile's loop needs beside
// its accumulators and weight vectors (x86 below AVX-512 only).
static RegisterTile registerTile(int64_t channels, int64_t pixels, int vectorWidth, int maxVectors,
                                 const TargetInfo &target, bool weightsBound = false,
                                 int64_t rows = 1, int spare = 1) {
  int budget = accumulatorBudget(target);
  // x86 with 16 vector registers (AVX2): the tile's accumulators, its
  // vectors of weights and the broadcast input must all fit, or LLVM spills
  // a weight vector and reloads it every FMA. 4 vectors x 3 pixels needs 17:
  // MobileNetV2's 14x14 1x1 convs ran at 55-62% of the AVX2 peak with it,
  // against 81-84% for the 28x28 ones at 3 x 4 (16 registers).
  bool sixteenRegisters = x86SixteenRegisters(target);
  RegisterTile best = {vectorWidth, 1};
  double bestScore = 0;
  auto usefulShare = [](int64_t extent, int64_t tile) {
    return double(extent) / double((extent + tile - 1) / tile * tile);
  };
  for (int nvec = 1; nvec <= maxVectors; ++nvec) {
    int64_t ct = nvec * vectorWidth;
    if (ct > channels)
      break;
    for (int pt = 1; pt <= 8; ++pt) {
      // Rows only with 2 vectors or more: 1 vector x 7 pixels x 2 rows
      // loads an input per multiply-add (14x14x384 -> 64: 117 us against
      // 104 for 2 x 3 x 2).
      for (int rt = 1; rt <= (nvec >= 2 ? std::min<int64_t>(rows, 8) : 1); ++rt) {
        int accumulators = nvec * pt * rt;
        if (pt > pixels || accumulators > budget ||
            (sixteenRegisters && accumulators + nvec + spare > 16))
          continue;
        // A row of 7 pixels in tiles of 6 computes 12: count only useful work.
        double score = accumulators * usefulShare(channels, ct) * usefulShare(pixels, pt) *
                           usefulShare(rows, rt) +
                       (weightsBound ? pt : nvec) * 1e-3 - (rt - 1) * 1e-6;
        if (score > bestScore) {
          bestScore = score;
          best = {static_cast<int>(ct), pt, rt};
        }
      }
    }
  }
  return best;
}

// The block template's record: the project conv's tile in the record's own
// knobs, the expand's and the depthwise's in stageTiles, and strips of rows
// in parallel. A strip recomputes the expand rows its depthwise window
// shares with the strip above (KH - stride rows), so strips are no shorter
// than 8 rows where the height allows, and about 4 of them keep 2 threads
// busy.
static ScheduleRecord chooseBlockTemplate(KernelOp kernel, const TargetInfo &target) {
  ScheduleRecord r;
  r.pattern = KernelPattern::Block;
  SmallVector<Operation *> anchors = anchorsOf(kernel);
  for (Operation *anchor : anchors) {
    ArrayRef<int64_t> shape = shapeOf(anchor->getResult(0)); // NHWC
    bool depthwise = isa<tosa::DepthwiseConv2DOp>(anchor);
    int vw = fittingWidth(shape[3], target.vectorLanesF32);
    auto [ct, pt, rt] = registerTile(shape[3], shape[2], vw, depthwise ? 2 : 5, target);
    // A depthwise stage's tile also holds its window's inputs and weights:
    // on AVX2's 16 registers 2 vectors x 6 pixels spill them; 1 vector x 6
    // made MobileNetV2's four blocks 2241 -> 2082 us (1 thread, CPU-time
    // medians of 6 interleaved rounds, load 9).
    if (depthwise && x86SixteenRegisters(target))
      ct = vw;
    if (anchor == anchors.back()) {
      r.vectorWidth = vw;
      r.channelTile = ct;
      r.pixelTile = pt;
    } else {
      r.stageTiles.insert(r.stageTiles.end(), {vw, ct, pt});
    }
    if (depthwise)
      r.unroll = std::max<int64_t>(1, std::min<int64_t>(shapeOf(anchor->getOperand(1))[1], 8));
  }
  int64_t rows = shapeOf(kernel.getResult(0))[1];
  int64_t strip = std::max<int64_t>((rows + 3) / 4, std::min<int64_t>(rows, 8));
  // As many strips, evened out: 28 rows in strips of 8 made a shifted
  // fourth strip that computed rows 20-23 twice (MobileNetV2 56->28,
  // 1 thread: 275 -> 239 us, interleaved medians at load 5).
  int64_t strips = (rows + strip - 1) / strip;
  strip = (rows + strips - 1) / strips;
  r.rowTile = static_cast<int>(strip);
  if (rows > r.rowTile)
    r.parallelDims = {1};
  r.computeAt = "tile";
  return r;
}

// GPU records: 64 invocations (a multiple of every subgroup size in
// practice), as many along the channels as they hold up to 64, the rest
// along columns, one output each. A tuner varies both triples.
static ScheduleRecord chooseGpuTemplate(KernelOp kernel) {
  ScheduleRecord r;
  r.pattern = classifyKernel(kernel);
  ArrayRef<int64_t> out =
      kernel.getNumResults() ? shapeOf(kernel.getResult(0)) : ArrayRef<int64_t>();
  int64_t channels = out.empty() ? 1 : out.back();
  int64_t columns = out.size() >= 2 ? out[out.size() - 2] : 1;
  // x covers the channels in as few workgroups of at most 64 as it can, a
  // multiple of 8 (lavapipe runs 8 invocations a SIMD step): 24 channels
  // take 24, 36 take 40, 72 take 2 x 40, where powers of two took 32, 64 and
  // 2 x 64.
  int64_t xGroups = (channels + 63) / 64;
  int x = int(std::min<int64_t>(64, ((channels + xGroups - 1) / xGroups + 7) / 8 * 8));
  int y = 1;
  while (x * y < 64 && y < columns)
    y *= 2;
  r.workgroup = {x, y, 1};
  // Four columns per invocation, kept in registers through the reduction
  // (targets/spirv/RegisterTile.h; nests without one ignore it): lavapipe,
  // BlazeFace front, CPU per run 135 -> 87 ms. Channels stay one per
  // invocation: neighbouring invocations then read neighbouring weights,
  // which lavapipe loads as one vector (4 channels per invocation: 348 ms).
  r.invocationTile = {1, 4, 1};
  return r;
}

ScheduleRecord chooseTemplate(KernelOp kernel, const TargetInfo &target) {
  if (target.isGpu)
    return chooseGpuTemplate(kernel);
  if (classifyKernel(kernel) == KernelPattern::Block)
    return chooseBlockTemplate(kernel, target);
  ScheduleRecord r;
  r.pattern = classifyKernel(kernel);
  ArrayRef<int64_t> out =
      kernel.getNumResults() ? shapeOf(kernel.getResult(0)) : ArrayRef<int64_t>();
  int64_t elements = 1;
  for (int64_t d : out)
    elements *= d;
  int rank = out.size();
  int64_t channels = rank ? out.back() : 1;
  // Full vectors even when they do not divide the channel count: the last
  // tile shifts inward and recomputes a few channels rather than dropping to
  // narrow vectors (42 channels: 16 lanes, not 2). See ApplySchedule.cpp.
  r.vectorWidth = fittingWidth(channels, target.vectorLanesF32);
  r.channelTile = r.vectorWidth;

  // Parallel over the outermost dimension with more than one iteration that
  // is not the vectorised one; small kernels stay on one thread, where
  // waking a worker (a futex call on the caller, 5-50 us before the worker
  // runs) costs more than it can save. Work counts the reduction too: a
  // 7x7x320 output of a 960-channel 1x1 conv (15M multiply-adds, 0.2 ms)
  // has few elements but is worth two threads. The bar is about 15 us of
  // work on one AVX-512 thread (FaceMesh, 1 thread, per-call medians:
  // elementwise 96x96x16 = 147K elements 17-29 us, 18K elements 2.3 us; a
  // 1x1 conv of 1.2M multiply-adds 20 us). At 16K elements FaceMesh sent
  // 48 of its 119 kernels to the pool, 25 of them under 10 us; now 20 go
  // (issue 20). The tuner still tries every kernel serial and parallel.
  int64_t work = elements * reductionSize(kernel);
  bool parallel = elements >= 131072 || work >= (int64_t(1) << 20);
  // Natively, Kiln's pool (runtime/kiln_runtime.c) keeps its workers awake
  // between kernels: a loop costs 0.46 us there against 1.8 us in Halide's
  // (benchmarks/native/pool_cost.c, 2 threads, medians). And a serial
  // kernel after a parallel one reads half its input from the other core's
  // cache: MobileNetV2's serial depthwise convs ran 1.7-2.2x slower on 2
  // threads than on 1 (14x14x384: 13.7 -> 26-30 us). So from 4x fewer
  // elements or multiply-adds (a few us of work), native kernels share their
  // rows too.
  if (!target.isWasm && !target.isGpu)
    parallel = elements >= 32768 || work >= (int64_t(1) << 18);
  // WebAssembly: a kernel is parallel from an estimated 20 us on one
  // thread, at rates measured per call in Node (kernels.mjs, FaceMesh,
  // fastest runs): 1x1 and full convs 13.7 multiply-adds per ns, depthwise
  // 6.5 with the old 2x4 tile, so about 8.5 with the 1-vector tile below
  // (23% less time), elementwise 4.5 elements per ns. The loader shares a
  // run's loops only with its workers held awake (kiln_threads_hold: they
  // spin between the run's loops), and a held worker joins at once: a loop
  // of 20 us serial takes 0.56x on the pool, 10 us 0.63x, 5 us 0.78x
  // (benchmarks/wasm/pool_cost.mjs, "held", Zen 3, load 2.8). The bar was
  // 120 us, twice the 55-60 us a sleeping worker takes to join, from before
  // the hold; it left 11.6% of BlazeFace back's 1-thread time (its depthwise
  // convs from 64x64 down) and 5.2% of MobileNetV2's serial, Amdahl limits
  // of 1.79x and 1.90x on 2 threads. At 20 us, 2 threads against the same
  // build with 120, one run of each in turn, medians of 300 per-round
  // ratios (2026-12-07, load 5-7 from other sessions, the benchmark at nice
  // -20 in its own autogroup): BlazeFace back 1.10x faster, MobileNetV2
  // 1.05x, FaceMesh 1.12x (benchmarks/results/threads.md). Where other
  // processes take the cores, the loader keeps the loops on the caller
  // (PoolChooser), where a parallel loop costs nothing.
  if (target.isWasm) {
    double us = r.pattern == KernelPattern::Depthwise ? double(work) / 8500
                : work > elements                     ? double(work) / 13700
                                                      : double(elements) / 4500;
    parallel = us >= 20;
  }
  if (parallel)
    for (int d = 0; d + 1 < rank; ++d)
      if (out[d] > 1) {
        r.parallelDims = {d};
        break;
      }

  if (r.pattern == KernelPattern::Generic) {
    // Kernels with several reductions compute each one per output row.
    r.computeAt = "row";
    return r;
  }

  int maxVectors = r.pattern == KernelPattern::Depthwise ? 2 : 5;
  int64_t pixels = rank >= 2 ? out[rank - 2] : 1;
  // On a row of 7, WebAssembly's 8 accumulators make 16 channels x 2 pixels,
  // 8 x 4 and 4 x 7 tie. Where the weights outgrow L2 (MobileNetV2's 7x7
  // 1x1 convs, 0.4-1.6 MB), 4 x 7 streams them once per row instead of 4
  // times: those kernels ran at 48-67% of the peak where the 14x14 ones
  // reach 85-107% (benchmarks/results/wasm_kernels.md); MobileNetV2, 1
  // thread, Node: 5-9% faster whole (interleaved medians, plain and relaxed
  // modules, load 12).
  bool weightsBound = false;
  if (target.isWasm && r.pattern == KernelPattern::Conv1x1)
    for (Operation &op : kernel.getBody().front())
      if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
        weightsBound =
            cast<ShapedType>(conv.getWeight().getType()).getNumElements() * 4 > 256 * 1024;
  // x86 below AVX-512, 1x1 convs: tiles of several rows where a row's
  // pixels do not divide into tiles that fill the 16 registers (14 pixels:
  // 3 vectors x 4 pixels computed 16). JIT, 1 thread, Zen 3, medians:
  // 14x14x576 -> 96 3 x 4 x 1 269 us, 3 x 2 x 2 239; 14x14x64 -> 384 116,
  // 101; 14x14x384 -> 64 131, 2 x 3 x 2 104. No 7x7 tile of rows beat 3 x 4.
  int64_t tileRows = r.pattern == KernelPattern::Conv1x1 && x86SixteenRegisters(target) && rank >= 3
                         ? out[rank - 3]
                         : 1;
  // x86 below AVX-512, a conv over few input channels (an RGB stem): its
  // loop also picks each tap's inputs through the padding's bounds check,
  // so a tile that fills all 16 registers spills. BlazeFace back's 5x5
  // 3 -> 24 at 3 vectors x 4 pixels (12 + 3 + 1): 34 vector stores to the
  // stack and 35 reloads in its loop (objdump); at 3 x 3, 6 and 12. Per
  // call in the model, 1 thread, CPU-time medians of 6 alternating rounds
  // (load 2.6-3.3): 1122 -> 641 us; 2 threads, `--clock undisturbed`
  // (load 3.5-3.8): 891 -> 400 us, the model 4.24 -> 3.62 ms. MobileNetV2's
  // 3x3 3 -> 32 at 2 x 6 (15 registers) keeps its tile: 2 x 5 and 2 x 4
  // measured 0.99-1.01x whole on 1 and 2 threads.
  int spare = 1;
  if (r.pattern == KernelPattern::Conv && x86SixteenRegisters(target))
    for (Operation &op : kernel.getBody().front())
      if (auto conv = dyn_cast<tosa::Conv2DOp>(op); conv && shapeOf(conv.getInput()).back() <= 4)
        spare = 2;
  RegisterTile tile = registerTile(channels, pixels, r.vectorWidth, maxVectors, target,
                                   weightsBound, tileRows, spare);
  r.channelTile = tile.channels;
  r.pixelTile = tile.pixels;
  r.rowTile = tile.rows;
  // WebAssembly SIMD depthwise: one vector of channels by 2 pixels, not 2
  // by 4. V8 gives wasm 16 xmm registers, and 8 accumulators with their
  // window's unrolled input and weight vectors spilled. MobileNetV2, 1
  // thread, Node, V8 profile at load 6-7: depthwise time over the unchanged
  // 1x1 convs' 0.195-0.199 -> 0.150-0.157 (every one of its 10 depthwise
  // kernels faster, stride 2 too), module code 93.5 -> 58.6 KB (depthwise
  // functions were 56.7 of 80.9 KB). 4x4, 4x1, 8x1 and 4x2 with 2-row tiles
  // or no unroll measured alike or worse (benchmarks/results/wasm_kernels.md).
  if (target.isWasm && target.vectorLanesF32 == 4 && r.pattern == KernelPattern::Depthwise) {
    r.channelTile = r.vectorWidth;
    r.pixelTile = int(std::min<int64_t>(2, pixels));
  }
  // WebAssembly SIMD convolutions: no tile of one vector of channels where
  // the channels fill two. Each multiply-add of a one-vector tile splats its
  // own input (v128.load32_splat): 1 vector x 8 pixels loads 9 times per 8
  // multiply-adds, 4 x 2 and 2 x 4 load 6 times. BlazeFace front's 1x1
  // convs to 28, 36 and 42 channels ran at 44-54% of the peak against
  // 80-100% for its others; with 4 x 2 (28, 42) and 2 x 4 (36) the model
  // ran 1.08x faster, MoveNet (17 and 34 channels) 1.03x (1 thread, Node,
  // CPU-time medians, load 4-6: benchmarks/results/wasm_kernels.md). The
  // best tile of two vectors or more, by the same useful work as
  // registerTile; a weights-bound kernel keeps its tall tile (above).
  if (target.isWasm && target.vectorLanesF32 == 4 && r.pattern != KernelPattern::Depthwise &&
      !weightsBound && r.channelTile == r.vectorWidth && channels >= 2 * r.vectorWidth) {
    double bestScore = 0;
    for (int nvec = 2; nvec <= maxVectors && nvec * r.vectorWidth <= channels; ++nvec)
      for (int pt = 1; nvec * pt <= accumulatorBudget(target) && pt <= pixels; ++pt) {
        int64_t ct = nvec * r.vectorWidth;
        double score = nvec * pt * double(channels) / double((channels + ct - 1) / ct * ct) *
                           double(pixels) / double((pixels + pt - 1) / pt * pt) +
                       nvec * 1e-3;
        if (score > bestScore) {
          bestScore = score;
          r.channelTile = int(ct);
          r.pixelTile = pt;
        }
      }
  }
  r.computeAt = "tile";
  // Integer (quantized) convs and matmuls in WebAssembly: vectors of 8
  // int32 lanes, the same accumulators (2 x i32x4 each) over half the
  // vectors, so that a pair of input channels fills an i16x8 for
  // i32x4.dot_i16x8_s or i16x8.mul + extadd_pairwise (emit/Quantized.cpp).
  // At 4 lanes the products were i16x4 halves widened through shuffles.
  // QLinear convnet, Node, 1 thread: benchmarks/results/quantized.md.
  if (target.isWasm && r.vectorWidth == 4 && r.channelTile % 8 == 0 && integerAnchor(kernel))
    r.vectorWidth = 8;
  // A conv over few input channels (BlazeFace's first: 3x3x3 -> 24 at
  // 128x128) has a reduction too short to hide the loads of its one
  // vector of output channels: the tile grows down the rows until the
  // accumulators fill the register budget, and the reduction unrolls.
  // Found by kiln-tune (issue 20) and measured (JIT, 1 thread, AVX-512,
  // median, load 5-10): 0.42 -> 0.16 ms with rows 3, unroll 8; BlazeFace
  // front end to end 0.97-1.05 -> 0.66-0.70 ms.
  bool fewInputChannels = false;
  int64_t windowWidth = 1;
  for (Operation &op : kernel.getBody().front())
    if (auto conv = dyn_cast<tosa::Conv2DOp>(op)) {
      fewInputChannels = shapeOf(conv.getInput()).back() <= 4;
      windowWidth = shapeOf(conv.getWeight())[2]; // [OC, KH, KW, IC]
    }
  if (r.pattern == KernelPattern::Conv && rank >= 3 && fewInputChannels) {
    // WebAssembly SIMD, windows 5 wide or more: a tile of one pixel, so
    // that the rows fill the budget (2 vectors x 1 pixel x 3 rows for
    // BlazeFace's 5x5 3 -> 24, not 2 x 4 x 1). 1 thread, Node, CPU-time
    // medians of alternating runs (load 3): BlazeFace front 1.050x, back
    // 1.043x whole; MobileNetV2's 3x3 first conv measured no change (0.996x,
    // 0.998x with 4 x 1 x 2 and 2 x 1 x 3), so narrower windows keep theirs.
    if (target.isWasm && target.vectorLanesF32 == 4 && windowWidth >= 5)
      r.pixelTile = 1;
    int budget = accumulatorBudget(target);
    int perRow = std::max(1, r.channelTile / r.vectorWidth * r.pixelTile);
    r.rowTile = int(std::clamp<int64_t>(budget / perRow, 1, std::min<int64_t>(3, out[rank - 3])));
    if (r.rowTile > 1)
      r.unroll = 8;
  }
  // Depthwise: unroll the window's columns so that the pixels of a tile share
  // their input loads (pixel x at tap 1 is pixel x+1 at tap 0). Measured
  // (JIT, 2 threads, AVX-512 Xeon, busy machine, min of 100): 14x14x384 3x3
  // 0.045 -> 0.029 ms, 7x7x960 0.019 -> 0.014 ms; unrolling the rows too lost
  // 10-20% at 14x14 (code size).
  if (r.pattern == KernelPattern::Depthwise)
    for (Operation &op : kernel.getBody().front())
      if (auto dw = dyn_cast<tosa::DepthwiseConv2DOp>(op))
        r.unroll = std::max<int64_t>(1, std::min<int64_t>(shapeOf(dw.getWeight())[1], 8));
  // Native 1x1 convs: the reduction over input channels unrolled by 4 (when
  // 4 divides it), so that more of the weight loads are in flight. Inside a
  // model a 1x1 conv's weights come from L3 or memory (the kernels before
  // it evicted them), and there it helps: MobileNetV2 per kernel call, 1
  // thread, AOT, CPU-time medians at load 9 (benchmarks/native/, --clock
  // cpu): 320 -> 1280 274 -> 254 us, 960 -> 320 194 -> 188, 160 -> 960
  // 93-109 -> 91-101, the 14x14 ones 1-5%, none slower; all kernels 3946 ->
  // 3886 us. Alone, with the weights warm in L2, it changes nothing (7x7x960
  // -> 160: 74 vs 76 us). The tuner's JIT runner times that kernel's
  // template at 107-116 us and found 1.5x from unrolling: its buffers live
  // in std::vectors, 16 bytes past a 64-byte line, so each vector of
  // weights it loads spans two lines (likely; not proven). Not WebAssembly (its own
  // tiles) or arm64 (not measured); the classifier matmul gained nothing.
  if (r.pattern == KernelPattern::Conv1x1 && !target.isWasm && !target.isArm &&
      reductionSize(kernel) % 4 == 0)
    r.unroll = 4;
  // Weight-stationary only when the weights are big (half of a 2 MB L2) and
  // dwarf the activations: then every pixel tile would stream them from
  // memory. Measured (1 thread, AVX-512): 7x7x320->1280 0.26 ms channel-major
  // vs 0.34 pixel-major; but 7x7x160->960 (weights 20x the input, 0.6 MB)
  // 0.087 vs 0.074 and 14x14x64->384 0.093 vs 0.048 favour pixel-major.
  Operation *anchor = nullptr;
  for (Operation &op : kernel.getBody().front())
    if (isa<tosa::Conv2DOp, tosa::TransposeConv2DOp, tosa::FullyConnectedOp, tosa::MatMulOp>(op))
      anchor = &op;
  if (anchor) {
    auto elements = [](Value v) { return cast<ShapedType>(v.getType()).getNumElements(); };
    int64_t weights = elements(anchor->getOperand(1)), input = elements(anchor->getOperand(0));
    // x86 below AVX-512 (1x1 convs): weight-stationary once the weights
    // are well past the 32 KB L1 data cache (over 40 KB), and the reduction
    // unrolled by 4 only when they outgrow L2 too (target.l2Bytes).
    // kiln-tune found channel-major with no unroll 1.10-1.23x faster on most
    // of MobileNetV2's 1x1 convs on an AVX2 Zen 3 (512 KB L2). Measured there
    // with the rest of the model unchanged, 1 thread, CPU-time medians of 8
    // alternating rounds (load 2-3): the 14x14 ones (48-216 KB) 10-29% less
    // time, the 7x7 ones 3-27%; 7x7 x960 and x1280 (0.6 and 1.6 MB) kept the
    // unroll (196-204 against 210 us, 561 against 585); the 28x28 ones (24 KB)
    // 2-4% slower channel-major; BlazeFace back's 16x16x96 -> 96 (36 KB) 2%
    // faster but its depthwise consumers 14% slower, so unchanged. MobileNetV2
    // whole 9.27 -> 8.16 ms (benchmarks/results/native_kernels.md).
    bool weightStationary = weights * 4 > 1024 * 1024 && weights > 8 * input;
    if (r.pattern == KernelPattern::Conv1x1 && x86SixteenRegisters(target)) {
      weightStationary = weights * 4 > 40 * 1024;
      if (weightStationary && weights * 4 <= target.l2Bytes)
        r.unroll = 1;
      // Weights past L2 whose tile also outgrows the 32 KB L1 are streamed
      // from L2 again for every pixel tile: each input channel's row of the
      // tile then spans whole 64-byte lines (16 floats), not 24 channels'
      // 96 bytes over two or three lines. MobileNetV2's 7x7x960 -> 160 and
      // -> 320 (0.6 and 1.2 MB, tiles of 92 KB): per call, 1 thread, CPU
      // time (8 alternating rounds, load 1.5) 210 -> 189 and 477 -> 417 us;
      // at 2 threads the tuner's 16-channel records 10-15% faster in three
      // runs (load 1.8-3.7). 320 -> 1280 (a 30 KB tile, in L1) was 11%
      // slower with 16 and keeps 24 (benchmarks/results/native_kernels.md).
      int64_t reduction = reductionSize(kernel);
      if (weightStationary && weights * 4 > target.l2Bytes && r.channelTile > 16 &&
          r.channelTile % 16 != 0 && reduction * r.channelTile * 4 > 32 * 1024)
        r.channelTile = r.channelTile / 16 * 16;
    }
    if (weightStationary) {
      r.order = "channel_major";
      // Channel tiles are the parallel loop then.
      r.parallelDims.clear();
    }
    // x86 below AVX-512, a matmul of one row whose weights outgrow L2
    // (MobileNetV2's classifier, 1x1280 by 1280x1000: 5.1 MB read from
    // memory every inference): one tile of every channel, so that the
    // reduction reads the weights row after row in memory order, the
    // accumulators in L1. Per call in the model, 1 thread, CPU-time medians
    // of 12 alternating rounds (load 5): 407 -> 284 us; tiles of 40 (the
    // template), 200 or 504 channels 389-419 us, with or without the unroll.
    // One tile is one thread: a 2-thread run shares no loop of it.
    bool oneRow = pixels == 1 && (rank < 3 || out[rank - 3] == 1);
    if (r.pattern == KernelPattern::MatMul && x86SixteenRegisters(target) && oneRow &&
        channels % r.vectorWidth == 0 && weights * 4 > target.l2Bytes) {
      r.channelTile = static_cast<int>(channels);
      r.pixelTile = 1;
      r.unroll = 1;
      r.order = "channel_major";
      r.parallelDims.clear();
    }
  }
  return r;
}

} // namespace kiln::codegen
