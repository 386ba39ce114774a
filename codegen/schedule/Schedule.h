//===- Schedule.h - schedule records: a kernel's schedule as data -*- C++ -*-===//
//
// A schedule record is the small set of knobs that decides how one kernel's
// Halide pipeline runs: which template (or autoscheduler), vector width,
// register tile, unrolling, parallel loops and where producers are computed.
// Records are plain data so that they can be printed, stored on the kernel as
// the `kiln.schedule` attribute, compared and (later) searched by a tuner.
// No Halide here: the MLIR side reads and writes records; only
// codegen/halide/ApplySchedule.cpp turns them into Halide schedules.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCHEDULE_H
#define KILN_CODEGEN_SCHEDULE_H

#include "dialects/kiln/KilnAttrs.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace kiln::codegen {

/// Name of the attribute that carries a record (#kiln.schedule<...>) on a
/// kiln.kernel.
constexpr llvm::StringLiteral kScheduleAttrName = "kiln.schedule";
/// Where a kernel's record came from, beside it: "template", "auto:li2018",
/// or "tuned <record hash> <time>" (TuningDb.h), plus kStreamsOnePixelNote
/// where only the vector width applies. Printed with --compile-to=schedules.
constexpr llvm::StringLiteral kScheduleSourceAttrName = "kiln.schedule_source";

/// Who decides the schedule, and the kernel shapes the templates know: the
/// enumerations of the record attribute (dialects/kiln/KilnAttrs.td).
/// Pattern: a kernel's anchor op (the one reduction in it) decides it;
/// kernels without one are elementwise or data movement (generic); block is
/// what kiln-fuse-blocks makes ([1x1 conv ->] depthwise -> 1x1 conv).
using kiln::KernelPattern;
using kiln::ScheduleMode;

/// The command-line spelling: "template", "auto:adams2019", "auto:li2018",
/// "auto:mullapudi2016".
std::string scheduleModeName(ScheduleMode mode);
llvm::Expected<ScheduleMode> parseScheduleMode(llvm::StringRef name);
llvm::StringRef patternName(KernelPattern pattern);

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
  /// weights (docs/TRAPS.md H2: the trap is rounding a tile up instead).
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
  /// GPU targets only (empty elsewhere): invocations per workgroup and
  /// outputs per invocation, three numbers each over the output's innermost
  /// three dimensions (channels, columns, rows). targets/spirv reads them.
  std::vector<int> workgroup;
  std::vector<int> invocationTile;

  bool operator==(const ScheduleRecord &other) const;
  bool operator!=(const ScheduleRecord &other) const { return !(*this == other); }

  /// The record as its attribute, #kiln.schedule<version = 1, mode =
  /// template, pattern = conv1x1, vector_width = 16, ...>. Fails (with the
  /// attribute verifier's message) on knobs out of range.
  llvm::Expected<ScheduleAttr> toAttr(mlir::MLIRContext *context) const;
  static ScheduleRecord fromAttr(ScheduleAttr attr);
  /// The stable text form a tuning database stores: the attribute as MLIR
  /// prints it, on one line. parse() reads it back; a record of another
  /// version, an unknown knob or a value out of range is an error.
  std::string serialize(mlir::MLIRContext *context) const;
  static llvm::Expected<ScheduleRecord> parse(llvm::StringRef text, mlir::MLIRContext *context);
  /// One line for humans: "template conv1x1 vw=16 ct=48 pt=4 rt=1 unroll=1
  /// parallel=[1] at=tile order=pixel_major".
  void print(llvm::raw_ostream &os) const;
  std::string str() const;
};

/// What the templates need to know about a target.
struct TargetInfo {
  std::string target = "host"; ///< a Halide target string, or "host"
  int vectorLanesF32 = 4;      ///< f32 lanes of one vector register
  /// x86 with AVX-512 (32 vector registers), whatever vector width is used.
  bool hasAvx512 = false;
  /// Per-core L2 bytes for the 1x1 conv rules: the host's (sysconf) for
  /// "host", else a constant per feature set (AVX-512 2 MB, below 512 KB).
  int64_t l2Bytes = 512 * 1024;
  bool isWasm = false;
  /// arm64 (NEON, 32 vector registers): larger register tiles.
  bool isArm = false;
  /// "spirv": Vulkan compute; records get a workgroup and invocation tile.
  bool isGpu = false;
};
/// Reads the vector width from a Halide target string without Halide:
/// avx512 -> 16 lanes, avx2 -> 8, sse4.1/wasm_simd128 -> 4, otherwise 1
/// (plain wasm). "host" asks LLVM for this machine's features.
llvm::Expected<TargetInfo> parseTargetInfo(llvm::StringRef target);

/// One compilation of a model's kernels that a target asks for: the WASM
/// target wants two (wasm_simd128 and plain wasm), the CPU and JIT targets
/// one. The schedules phase runs once per variant, on its own copy of the
/// kernels (compiler/pipeline/Pipeline.h: runSchedulesPhase).
struct ScheduleVariant {
  std::string name;                ///< "cpu", "simd", "nosimd", "jit": for messages
  std::string halideTarget;        ///< "host" or a Halide target string
  bool keepAttachedRecords = true; ///< false: replace records already on kernels
};

/// The pattern of a kernel, from the anchor ops in its body.
KernelPattern classifyKernel(KernelOp kernel);

/// WASM streams the weights of a one-pixel conv, fully-connected or matmul
/// with many channels (codegen/halide/ApplySchedule.cpp, streamOnePixel:
/// the reduction outside, all the channels inside): of a template record
/// only the vector width applies there; its tiles, unroll, parallel
/// dimensions, compute_at and order do nothing. The size rule, on the
/// anchor's output (tensor order): one pixel (every dimension but the last
/// 1), vector width 2 or more, 64 x vector width to 4096 channels.
bool streamsOnePixel(llvm::ArrayRef<int64_t> outputShape, int vectorWidth);
/// The kernel's output shape if its one anchor is a conv (not transposed),
/// fully-connected or matmul computing the kernel's one result (pattern
/// conv, conv1x1 or matmul): the kernels that streamsOnePixel may apply
/// to, on WASM. Empty otherwise.
std::vector<int64_t> streamableShape(KernelOp kernel);
/// Whether `record` on `kernel` for `target` streams (template mode, WASM,
/// both rules above): what provenance and the tuner's space say.
bool streamsOnePixel(KernelOp kernel, const TargetInfo &target, const ScheduleRecord &record);
/// The note provenance (kiln.schedule_source) carries for such a record.
constexpr llvm::StringLiteral kStreamsOnePixelNote =
    " (WASM one-pixel stream: only vector_width applies)";

/// The template record for `kernel` on `target`: full-width vectors where
/// the channels allow, and a register tile that matches the register file
/// (docs/TRAPS.md H3: 3-5 vectors x 4-8 pixels on x86, 8 accumulators on wasm).
ScheduleRecord chooseTemplate(KernelOp kernel, const TargetInfo &target);

/// The record attached to a kernel, if any; an error if the attribute is not
/// a #kiln.schedule record.
llvm::Expected<std::optional<ScheduleRecord>> getSchedule(KernelOp kernel);
/// The record attached to a kernel; an error naming the kernel if it has
/// none (targets read records, they never choose them: see
/// codegen/schedule/README.md).
llvm::Expected<ScheduleRecord> requireSchedule(KernelOp kernel);

} // namespace kiln::codegen

#endif
