//===- Passes.td - codegen passes (no Halide) -------------*- tablegen -*-===//
//
// One pass per file: pass KilnXxxPass, flag kiln-xxx, file codegen/schedule/Xxx.cpp,
// test test/lit/codegen/xxx.mlir.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_PASSES_TD
#define KILN_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnAssignSchedulesPass : Pass<"kiln-assign-schedules", "mlir::ModuleOp"> {
  let summary = "Attach a schedule record (kiln.schedule) to every kiln.kernel";
  let description = [{
    Gives each `kiln.kernel` the schedule record codegen will apply: the
    template for its pattern (1x1 conv, conv, depthwise, matmul, generic) with
    knobs sized for the target's vectors (AVX-512 16 lanes, AVX2 8, SSE and
    WASM SIMD 4) and dividing the kernel's channel count, or a record asking
    for one of Halide's autoschedulers. Records already present (from a
    tuning database) are kept unless `overwrite` is set.

    Before:
    ```mlir
    %0 = kiln.kernel "conv2d_0" (%x, %w, %b) : (...) -> tensor<1x8x8x32xf32> {...}
    ```
    After (target x86-64-linux-avx512):
    ```mlir
    %0 = kiln.kernel "conv2d_0" (%x, %w, %b) : (...) -> tensor<1x8x8x32xf32> {...}
        {kiln.schedule = #kiln.schedule<version = 1, mode = template,
                          pattern = conv1x1, vector_width = 16, channel_tile = 32,
                          pixel_tile = 8, row_tile = 1, unroll = 1, parallel = [],
                          compute_at = tile, order = pixel_major>}
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "Halide target string (host, x86-64-linux-avx2-fma, wasm-32-wasmrt-wasm_simd128...)">,
    Option<"mode", "mode", "::kiln::ScheduleMode", /*default=*/"::kiln::ScheduleMode::Template",
           "Who schedules: Kiln's templates or one of Halide's autoschedulers (the record "
           "then keeps the template's knobs to fall back to)",
           [{::llvm::cl::values(
             clEnumValN(::kiln::ScheduleMode::Template, "template", "Kiln's templates"),
             clEnumValN(::kiln::ScheduleMode::Adams2019, "auto:adams2019", "Adams2019"),
             clEnumValN(::kiln::ScheduleMode::Li2018, "auto:li2018", "Li2018"),
             clEnumValN(::kiln::ScheduleMode::Mullapudi2016, "auto:mullapudi2016",
                        "Mullapudi2016"))}]>,
    Option<"overwrite", "overwrite", "bool", /*default=*/"false",
           "Replace records that are already attached">,
  ];
}

def KilnPackWeightsPass : Pass<"kiln-pack-weights", "mlir::ModuleOp"> {
  let summary = "Store constant conv and matmul weights in the layout codegen vectorises";
  let description = [{
    TOSA's weight layouts put output channels outermost (conv2d OHWI,
    fully_connected [OC, IC]); codegen vectorises over output channels, so
    it would read weights with a stride (a gather per vector). For weights
    that are constants, this pass stores them transposed with output
    channels innermost (HWIO, [IC, OC]) and puts a `tosa.transpose` back to
    TOSA's layout inside the kernel, which codegen inlines into the
    convolution: the same values, read as whole vectors.

    Before:
    ```mlir
    %w = "tosa.const"() {value = ...} : () -> tensor<96x1x1x16xf32>
    kiln.kernel "conv" (%x, %w, %b) ... {
    ^bb0(%a, %c: tensor<96x1x1x16xf32>, %d):
      %0 = tosa.conv2d %a, %c, %d ...
    ```
    After:
    ```mlir
    %w = "tosa.const"() {value = ...} : () -> tensor<1x1x16x96xf32>
    kiln.kernel "conv" (%x, %w, %b) ... {
    ^bb0(%a, %c: tensor<1x1x16x96xf32>, %d):
      %p = "tosa.const"() {value = dense<[3, 0, 1, 2]> : tensor<4xi32>}
      %t = tosa.transpose %c, %p : (...) -> tensor<96x1x1x16xf32>
      %0 = tosa.conv2d %a, %t, %d ...
    ```
  }];
  let dependentDialects = ["mlir::tosa::TosaDialect"];
}

#endif // KILN_CODEGEN_PASSES_TD
