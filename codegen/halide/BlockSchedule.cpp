//===- BlockSchedule.cpp - the block template: a fused inverted residual --===//
//
// A block kernel (kiln-fuse-blocks) is [1x1 expand ->] depthwise -> 1x1
// project plus elementwise ops. Unfused, the expanded tensor goes to memory
// and back twice; here the output is computed a strip of rows at a time
// (strips in parallel), and inside a strip one output row at a time:
//
//   for each strip (parallel):
//     for each output row:
//       expand rows:    only the rows the depthwise window has not seen yet
//                       (a sliding window over a folded buffer of KH rows)
//       depthwise row:  one row of the expanded width, in a row buffer
//       project tiles:  register tiles over the row, as a lone 1x1 conv
//
// Each reduction keeps the register tiling of its lone-kernel template
// (tileReduction): the record's own tile is the project conv's, its
// stageTiles the expand's and the depthwise's. Intermediates live on the
// stack, sized at compile time: nothing is allocated at run time.
//
// Measured: see codegen/README.md ("Measured").
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/ApplySchedule.h"

using namespace Halide;

namespace kiln::codegen {

namespace {

// The record of the reduction before the last one at `index` (stageTiles).
ScheduleRecord stageRecord(const ScheduleRecord &block, size_t index) {
  ScheduleRecord r;
  r.vectorWidth = block.stageTiles[3 * index];
  r.channelTile = block.stageTiles[3 * index + 1];
  r.pixelTile = block.stageTiles[3 * index + 2];
  return r;
}

// Rows of the expanded input that one depthwise output row reads.
int expandWindow(const EmittedKernel &k, const Stage &dw) {
  (void)k;
  const Halide::Internal::ReductionVariable &ky = dw.rdom.domain().domain()[1];
  const int64_t *extent = Halide::Internal::as_const_int(ky.extent);
  return extent ? static_cast<int>(*extent) : 1;
}

} // namespace

bool applyBlock(EmittedKernel &k, const ScheduleRecord &r) {
  size_t n = k.stages.size();
  if (k.outputs.size() != 1 || (n != 2 && n != 3) || k.outputShapes[0].size() != 4 ||
      r.stageTiles.size() != 3 * (n - 1))
    return false;
  const Stage &project = k.stages[n - 1], &dw = k.stages[n - 2];
  const Stage *expand = n == 3 ? &k.stages[0] : nullptr;
  if (project.kind != Stage::Conv || dw.kind != Stage::Depthwise ||
      (expand && expand->kind != Stage::Conv) || project.shape != k.outputShapes[0])
    return false;

  ScheduleRecord projectRecord;
  projectRecord.vectorWidth = r.vectorWidth;
  projectRecord.channelTile = r.channelTile;
  projectRecord.pixelTile = r.pixelTile;
  ScheduleRecord dwRecord = stageRecord(r, n - 2);
  dwRecord.unroll = r.unroll;
  // The depthwise is computed per pixel tile of the project (below): a
  // wider tile of its own would shift inward past the region's left edge
  // and, at the first tile, read the input before column 0 (docs/TRAPS.md
  // H1). With the padding in the depthwise those reads hit its boundary
  // condition and were only wasted; without it (rvm: a VALID stride-2
  // depthwise after a Pad kernel, AVX2's project tile of 4 pixels against
  // the depthwise's 6) "in0 is accessed at -4".
  dwRecord.pixelTile = std::min(dwRecord.pixelTile, r.pixelTile);
  ScheduleRecord expandRecord = expand ? stageRecord(r, 0) : ScheduleRecord();
  if (!tiledReductionFits(project.shape, projectRecord) ||
      !tiledReductionFits(dw.shape, dwRecord) ||
      (expand && !tiledReductionFits(expand->shape, expandRecord)))
    return false;

  Func out = k.outputs[0];
  tileReduction(out, project.func, project.rdom, project.shape, projectRecord,
                /*parallel=*/false);

  // Strips of output rows; the last one shifts inward when they do not
  // divide the height (out is pure: recomputing rows is harmless).
  int64_t rows = project.shape[1];
  int strip = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(r.rowTile, rows)));
  Var y = out.args()[2], strips("strips"), row("row");
  out.split(y, strips, row, strip,
            rows % strip == 0 ? TailStrategy::RoundUp : TailStrategy::ShiftInwards);
  if (rows > strip && llvm::is_contained(r.parallelDims, 1))
    out.parallel(strips);

  // The Func that stores a reduction's result for the next one: the next
  // reduction's activation input (the clamp after the conv) when it is a
  // pure Func of its own, so that the epilogue runs once per element, not
  // once per tap; else a wrapper of the reduction.
  auto storedResult = [](const Stage &producer, const Stage &consumer) {
    Func input = consumer.input, reduction = producer.func;
    if (input.defined() && input.name() != reduction.name() && !input.has_update_definition())
      return input;
    return reduction.in();
  };

  // The depthwise output, per pixel tile of the project (a few KB on the
  // stack, still in L1 when the project reads it).
  Func dwRows = storedResult(dw, project);
  dwRows.compute_at(out, Var("xo")).store_in(MemoryType::Stack);
  tileReduction(dwRows, dw.func, dw.rdom, dw.shape, dwRecord, /*parallel=*/false);

  // The expanded rows: computed where each output row needs them, stored
  // per strip, so that Halide's sliding window computes only the rows not
  // computed for the previous output row.
  if (expand) {
    Func expandRows = storedResult(*expand, dw);
    expandRows.compute_at(out, row).store_at(out, strips).store_in(MemoryType::Stack);
    // Halide folds the window on its own only when no padding clamps its
    // first rows; fold explicitly to the window's height (a power of two:
    // the fold is then a mask). Halide checks the fold when it lowers.
    int window = 1;
    while (window < expandWindow(k, dw))
      window *= 2;
    expandRows.fold_storage(expandRows.args()[2], window);
    tileReduction(expandRows, expand->func, expand->rdom, expand->shape, expandRecord,
                  /*parallel=*/false);
  }
  return true;
}

} // namespace kiln::codegen
