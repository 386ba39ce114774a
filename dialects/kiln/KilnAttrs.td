//===- KilnAttrs.td - kiln dialect attributes --------------*- tablegen -*-===//
//
// The schedule record: how one kiln.kernel's Halide pipeline runs, as a typed
// and versioned attribute (the role IREE's lowering_config plays). It is what
// the schedules phase attaches, what codegen applies, and what a tuning
// database stores: its printed form is stable and parses back.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ATTRS_TD
#define KILN_ATTRS_TD

include "dialects/kiln/KilnDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributes.td"

def Kiln_ScheduleMode : I32EnumAttr<"ScheduleMode", "who decides a kernel's schedule", [
    I32EnumAttrCase<"Template", 0, "template">,
    I32EnumAttrCase<"Adams2019", 1, "adams2019">,
    I32EnumAttrCase<"Li2018", 2, "li2018">,
    I32EnumAttrCase<"Mullapudi2016", 3, "mullapudi2016">]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_KernelPattern : I32EnumAttr<"KernelPattern", "the kernel shapes the templates know", [
    I32EnumAttrCase<"Generic", 0, "generic">,
    I32EnumAttrCase<"Conv1x1", 1, "conv1x1">,
    I32EnumAttrCase<"Conv", 2, "conv">,
    I32EnumAttrCase<"Depthwise", 3, "depthwise">,
    I32EnumAttrCase<"MatMul", 4, "matmul">,
    I32EnumAttrCase<"Block", 5, "block">]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_ComputeAt : I32EnumAttr<"ComputeAt", "where a kernel's anchor is computed", [
    I32EnumAttrCase<"Tile", 0, "tile">,
    I32EnumAttrCase<"Row", 1, "row">,
    I32EnumAttrCase<"Root", 2, "root">]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_TileOrder : I32EnumAttr<"TileOrder", "which tiles the outer loops walk first", [
    I32EnumAttrCase<"PixelMajor", 0, "pixel_major">,
    I32EnumAttrCase<"ChannelMajor", 1, "channel_major">]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_ScheduleAttr : AttrDef<Kiln_Dialect, "Schedule"> {
  let mnemonic = "schedule";
  let summary = "One kernel's schedule record";
  let description = [{
    The knobs that decide how one kernel's Halide pipeline runs. The
    template named by `pattern` decides how each is used
    (codegen/halide/ApplySchedule.cpp); an autoscheduler `mode` keeps the
    template's knobs as the schedule to fall back to when Halide 14 fails on
    the autoscheduler's.

    - `version`: the record format (1); a reader rejects other versions.
    - `vector_width`: lanes of the innermost (channel) loop; 1 is scalar.
    - `channel_tile`, `pixel_tile`, `row_tile`: the register tile (output
      channels, a multiple of the vector width; pixels; rows).
    - `unroll`: unroll factor of the reduction loop inside the tile.
    - `parallel`: output dimensions (row-major numbering) run as parallel
      loops, outermost first; empty is single-threaded.
    - `compute_at`: `tile` (accumulators in registers), `row`, or `root`.
    - `order`: `pixel_major` or `channel_major` tile order.
    - `stage_tiles`: block kernels only, (vector width, channel tile, pixel
      tile) per reduction before the last.
    - `workgroup`, `invocation_tile`: GPU targets only (--target=spirv), three
      numbers each over the output's innermost three dimensions (channels,
      columns, rows): invocations per workgroup, and outputs each invocation
      computes (targets/spirv/README.md).

    ```mlir
    #kiln.schedule<version = 1, mode = template, pattern = conv1x1,
                   vector_width = 16, channel_tile = 32, pixel_tile = 8,
                   row_tile = 1, unroll = 1, parallel = [1],
                   compute_at = tile, order = pixel_major>
    ```
  }];
  let parameters = (ins
    "uint32_t":$version,
    EnumParameter<Kiln_ScheduleMode>:$mode,
    EnumParameter<Kiln_KernelPattern>:$pattern,
    "int64_t":$vector_width,
    "int64_t":$channel_tile,
    "int64_t":$pixel_tile,
    "int64_t":$row_tile,
    "int64_t":$unroll,
    "::mlir::DenseI64ArrayAttr":$parallel,
    EnumParameter<Kiln_ComputeAt>:$compute_at,
    EnumParameter<Kiln_TileOrder>:$order,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$stage_tiles,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$workgroup,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$invocation_tile
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The record format this build reads and writes.
    static constexpr uint32_t kVersion = 1;
  }];
}

#endif // KILN_ATTRS_TD
