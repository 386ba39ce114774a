//===- Passes.td - kiln dialect passes --------------------*- tablegen -*-===//
//
// One pass per file: pass KilnXxxPass, flag kiln-xxx, file dialects/kiln/transforms/Xxx.cpp,
// test test/lit/dialects/kiln/xxx.mlir. The graph phase passes
// are in compiler/graph/Passes.td.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnFormKernelsPass : Pass<"kiln-form-kernels", "mlir::func::FuncOp"> {
  let summary = "Cut a TOSA graph into kiln.kernel regions";
  let description = [{
    Groups graph ops into `kiln.kernel` regions, each compiled later as one
    function. An anchor op (convolution, depthwise convolution, matmul,
    pooling, reduction) pulls in the chain of elementwise ops that consume its
    result alone (bias add, activation, residual add), or that consume it
    together and join into one value again within a few ops (PReLU as TF.js
    models import it: x * alpha, x >= 0 and a select, all reading x), and the residual
    operand of such an add when it is a channel pad (`tosa.concat` or
    `tosa.pad` of the add's shape, read by nothing else), so that the pad is
    computed inside the conv's tiles instead of in a pass of its own. Other
    ops form kernels of their own chains. A kernel holds at most 64 ops (a
    longer chain is cut: Halide's compile time grows faster than the
    kernel's expression depth). Constants stay outside as kernel inputs, so that two
    kernels with the same structure share one compiled function: each kernel
    gets a structural `hash` of its body.

    Before:
    ```mlir
    %0 = tosa.conv2d %x, %w, %b {...}
    %1 = tosa.clamp %0 {...}
    ```
    After:
    ```mlir
    %1 = kiln.kernel "conv2d_0" (%x, %w, %b) : (...) -> ... {
    ^bb0(%a, %b, %c):
      %0 = tosa.conv2d %a, %b, %c {...}
      %1 = tosa.clamp %0 {...}
      kiln.yield %1
    } {hash = "..."}
    ```
  }];
  let dependentDialects = ["kiln::KilnDialect"];
}

def KilnFuseBlocksPass : Pass<"kiln-fuse-blocks", "mlir::func::FuncOp"> {
  let summary = "Merge the kernels of an inverted-residual block into one";
  let description = [{
    MobileNetV2's inverted-residual block (1x1 expand, depthwise, 1x1
    project, residual add) and BlazeFace's block (depthwise, 1x1 project,
    add) come out of `kiln-form-kernels` as one kernel per convolution, so
    the expanded tensor (six times the block's channels) goes to memory and
    back twice. This pass merges such a chain of kernels into one, which the
    `block` schedule template computes a strip of rows at a time: the
    expanded rows as a sliding window, the depthwise rows once per output
    row, all in cache. An op-by-op runtime cannot do this.

    A chain is fused when each intermediate has a single user (the next
    kernel's convolution input), the 1x1 convolutions have unit stride and
    no padding, the depthwise convolution has a channel multiplier of 1, and
    the intermediates are big enough for memory traffic to matter
    (`min-bytes`: below it they stay in cache anyway, and the strips'
    recomputed rows would cost more than they save).

    Before:
    ```mlir
    %e = kiln.kernel "conv2d_4"(%x, %we, %be) {conv2d 1x1, clamp}
    %d = kiln.kernel "depthwise_conv2d_5"(%e, %wd, %bd) {depthwise_conv2d, clamp}
    %p = kiln.kernel "conv2d_6"(%d, %wp, %bp, %x) {conv2d 1x1, add}
    ```
    After:
    ```mlir
    %p = kiln.kernel "block_conv2d_6"(%x, %we, %be, %wd, %bd, %wp, %bp) {
      conv2d 1x1, clamp, depthwise_conv2d, clamp, conv2d 1x1, add }
    ```
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"1024 * 1024",
           "Fuse only when the largest intermediate has at least this many bytes">,
  ];
  let dependentDialects = ["kiln::KilnDialect"];
}

#endif // KILN_PASSES_TD
