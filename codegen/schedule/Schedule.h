//===- Schedule.h - schedule records: a kernel's schedule as data -*- C++ -*-===//
//
// A schedule record is the small set of knobs that decides how one kernel's
// Halide pipeline runs: which template (or autoscheduler), vector width,
// register tile, unrolling, parallel loops and where producers are computed.
// Records are plain data so that they can be printed, stored on the kernel as
// the `kiln.schedule` attribute, compared and (later) searched by a tuner.
// No Halide here: the MLIR side reads and writes records; only
// codegen/ApplySchedule.cpp turns them into Halide schedules.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCHEDULE_H
#define KILN_CODEGEN_SCHEDULE_H

#include "dialects/kiln/KilnOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace kiln::codegen {

/// Name of the attribute that carries a record on a kiln.kernel.
constexpr llvm::StringLiteral kScheduleAttrName = "kiln.schedule";

/// Who decides the schedule.
enum class ScheduleMode { Template, Adams2019, Li2018, Mullapudi2016 };

/// "template", "auto:adams2019", "auto:li2018", "auto:mullapudi2016".
llvm::StringRef scheduleModeName(ScheduleMode mode);
llvm::Expected<ScheduleMode> parseScheduleMode(llvm::StringRef name);

/// The kernel patterns the templates know. A kernel's pattern comes from its
/// anchor op (the one reduction in it); kernels without one are elementwise
/// or data movement and get the generic template.
enum class KernelPattern {
  Generic,   ///< elementwise, data movement, pooling, small reductions
  Conv1x1,   ///< conv2d with a 1x1 window, stride 1, no padding
  Conv,      ///< any other conv2d (and transpose_conv2d)
  Depthwise, ///< depthwise_conv2d
  MatMul,    ///< fully_connected, matmul
  Block,     ///< [1x1 conv ->] depthwise -> 1x1 conv (kiln-fuse-blocks)
};
llvm::StringRef patternName(KernelPattern pattern);
llvm::Expected<KernelPattern> parsePattern(llvm::StringRef name);

/// One kernel's schedule. Every knob is explicit so a tuner can vary it; the
/// template for `pattern` decides how each is used (ApplySchedule.cpp).
struct ScheduleRecord {
  ScheduleMode mode = ScheduleMode::Template;
  KernelPattern pattern = KernelPattern::Generic;
  /// Lanes of the innermost (channel) loop; 1 means scalar.
  int vectorWidth = 1;
  /// Output channels per register tile: a multiple of vectorWidth, at most
  /// the channel count. When it does not divide the count, the last tile
  /// shifts inward (recomputing a few channels): reads never leave the
  /// weights (the trap in STACK.md is rounding a tile up instead).
  int channelTile = 1;
  /// Pixels (or rows of a matmul) per register tile.
  int pixelTile = 1;
  /// Output rows per register tile (a tile is channelTile x pixelTile x
  /// rowTile): more than one when rows are short and weights large, so that
  /// each weight vector loaded serves more pixels.
  int rowTile = 1;
  /// Unroll factor of the reduction loop inside the tile (1: none).
  int unroll = 1;
  /// Tensor dimensions (row-major numbering of the output) run as parallel
  /// loops, outermost first; empty means single-threaded.
  std::vector<int> parallelDims;
  /// Where the anchor (the reduction) is computed: "tile" (inside each
  /// register tile: accumulators in registers), "row" (once per output
  /// row), or "root" (whole tensor first; allocates at run time).
  std::string computeAt = "tile";
  /// Tiled templates: which tiles the outer loops walk first.
  /// "pixel_major": for each pixel tile, every channel tile (the input tile
  /// stays in cache; right when activations outweigh the weights).
  /// "channel_major": for each channel tile, every pixel (the weight tile
  /// stays in cache; right for 7x7x320->1280 convs and matmuls).
  std::string order = "pixel_major";
  /// Block template: the register tiles of the reductions before the last
  /// one (the expand conv, if any, then the depthwise), three numbers each:
  /// vector width, channel tile, pixel tile. The record's own vectorWidth,
  /// channelTile and pixelTile are the project conv's; rowTile is the
  /// height of the strip of output rows the block computes at a time, and
  /// unroll the depthwise's. Empty for every other pattern.
  std::vector<int> stageTiles;

  bool operator==(const ScheduleRecord &other) const;
  bool operator!=(const ScheduleRecord &other) const { return !(*this == other); }

  /// The record as a DictionaryAttr, e.g. {mode = "template", pattern =
  /// "conv1x1", vector_width = 16 : i64, ...}.
  mlir::DictionaryAttr toAttr(mlir::MLIRContext *context) const;
  /// Parses a DictionaryAttr written by toAttr. Unknown keys and wrong types
  /// are errors (a record that silently loses a knob is worse than none).
  static llvm::Expected<ScheduleRecord> fromAttr(mlir::DictionaryAttr attr);
  /// One line for humans: "template conv1x1 vw=16 ct=48 pt=4 rt=1 unroll=1
  /// parallel=[1] at=tile order=pixel_major".
  void print(llvm::raw_ostream &os) const;
  std::string str() const;
};

/// What the templates need to know about a target.
struct TargetInfo {
  std::string target = "host"; ///< a Halide target string, or "host"
  int vectorLanesF32 = 4;      ///< f32 lanes of one vector register
  bool isWasm = false;
};
/// Reads the vector width from a Halide target string without Halide:
/// avx512 -> 16 lanes, avx2 -> 8, sse4.1/wasm_simd128 -> 4, otherwise 1
/// (plain wasm). "host" asks LLVM for this machine's features.
llvm::Expected<TargetInfo> parseTargetInfo(llvm::StringRef target);

/// The pattern of a kernel, from the anchor ops in its body.
KernelPattern classifyKernel(KernelOp kernel);

/// The template record for `kernel` on `target`: full-width vectors where
/// the channels allow, and a register tile that matches the register file
/// (STACK.md: 3-5 vectors x 4-8 pixels on x86, 8 accumulators on wasm).
ScheduleRecord chooseTemplate(KernelOp kernel, const TargetInfo &target);

/// The record attached to a kernel, if any.
llvm::Expected<std::optional<ScheduleRecord>> getSchedule(KernelOp kernel);

} // namespace kiln::codegen

#endif
