//===- KilnAttrs.cpp - kiln dialect attributes ----------------------------===//
#include "dialects/kiln/KilnAttrs.h"
#include "dialects/kiln/KilnDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

#include "dialects/kiln/KilnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/kiln/KilnAttrs.cpp.inc"

using namespace mlir;

namespace kiln {

void KilnDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/kiln/KilnAttrs.cpp.inc"
      >();
}

// Knobs are tile sizes and factors: a record outside these bounds is a
// corrupt one (or another build's), never a schedule worth applying.
static constexpr int64_t kMaxKnob = 1024;

LogicalResult ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError, uint32_t version,
                                   ScheduleMode mode, KernelPattern pattern, int64_t vectorWidth,
                                   int64_t channelTile, int64_t pixelTile, int64_t rowTile,
                                   int64_t unroll, DenseI64ArrayAttr parallel, ComputeAt computeAt,
                                   TileOrder order, DenseI64ArrayAttr stageTiles,
                                   DenseI64ArrayAttr workgroup, DenseI64ArrayAttr invocationTile) {
  if (version != kVersion)
    return emitError() << "schedule record version " << version << " is not supported (this "
                       << "build reads version " << kVersion << ")";
  for (auto [name, value] : {std::pair<StringRef, int64_t>{"vector_width", vectorWidth},
                             {"channel_tile", channelTile},
                             {"pixel_tile", pixelTile},
                             {"row_tile", rowTile},
                             {"unroll", unroll}})
    if (value < 1 || value > kMaxKnob)
      return emitError() << "schedule record: '" << name << "' must be in [1, " << kMaxKnob
                         << "], not " << value;
  if (channelTile % vectorWidth != 0)
    return emitError() << "schedule record: channel_tile " << channelTile
                       << " is not a multiple of vector_width " << vectorWidth;
  if (!parallel)
    return emitError() << "schedule record: 'parallel' is required";
  for (int64_t d : parallel.asArrayRef())
    if (d < 0 || d >= 8)
      return emitError() << "schedule record: parallel dimension " << d << " is out of range";
  if (stageTiles) {
    ArrayRef<int64_t> t = stageTiles.asArrayRef();
    if (pattern != KernelPattern::Block)
      return emitError() << "schedule record: 'stage_tiles' is for the block pattern only";
    if (t.size() % 3 != 0 || llvm::any_of(t, [](int64_t v) { return v < 1 || v > kMaxKnob; }))
      return emitError() << "schedule record: 'stage_tiles' must be (vector width, channel tile, "
                            "pixel tile) triples in [1, "
                         << kMaxKnob << "]";
    for (size_t i = 0; i + 2 < t.size(); i += 3)
      if (t[i + 1] % t[i] != 0)
        return emitError() << "schedule record: stage_tiles: channel tile " << t[i + 1]
                           << " is not a multiple of vector width " << t[i];
  }
  if (bool(workgroup) != bool(invocationTile))
    return emitError() << "schedule record: 'workgroup' and 'invocation_tile' go together";
  if (workgroup) {
    ArrayRef<int64_t> wg = workgroup.asArrayRef(), it = invocationTile.asArrayRef();
    auto inRange = [](int64_t v) { return v >= 1 && v <= kMaxKnob; };
    if (wg.size() != 3 || it.size() != 3 || !llvm::all_of(wg, inRange) ||
        !llvm::all_of(it, inRange))
      return emitError() << "schedule record: 'workgroup' and 'invocation_tile' must be three "
                            "numbers each in [1, "
                         << kMaxKnob << "]";
    // Vulkan guarantees 128 invocations per workgroup and no more.
    if (wg[0] * wg[1] * wg[2] > 128)
      return emitError() << "schedule record: a workgroup of " << wg[0] * wg[1] * wg[2]
                         << " invocations is more than the 128 every Vulkan device allows";
  }
  return success();
}

} // namespace kiln
