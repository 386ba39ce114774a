//===- Passes.td - kiln dialect passes --------------------*- tablegen -*-===//
//
// One pass per file: pass KilnXxxPass, flag kiln-xxx, file transforms/Xxx.cpp,
// test test/lit/dialects/kiln/xxx.mlir.
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
    result alone (bias add, activation, residual add), and the residual
    operand of such an add when it is a channel pad (`tosa.concat` or
    `tosa.pad` of the add's shape, read by nothing else), so that the pad is
    computed inside the conv's tiles instead of in a pass of its own. Other
    ops form kernels
    of their own chains. Constants stay outside as kernel inputs, so that two
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

def KilnPropagateLayoutPass : Pass<"kiln-propagate-layout", "mlir::func::FuncOp"> {
  let summary = "Move transposes through layout-agnostic ops and cancel them";
  let description = [{
    The ONNX importer keeps the model's NCHW tensors and wraps every NHWC op
    (conv, depthwise conv, pooling, resize) in a pair of `tosa.transpose`.
    This pass gives each connected region of layout-agnostic ops (elementwise
    ops with constant operands broadcast along, clamp, cast, concat, pad,
    reduce, slice, tile, reverse) the layout that leaves the fewest
    transposes at its edges, rewriting its ops (constants are permuted, concat
    and reduce axes and pad paddings remapped). Transpose pairs then cancel,
    transposes of constants fold into constants, and a transpose moves below a
    reshape where the reshape keeps the groups it merges contiguous. The
    function's interface layout is kept: transposes remain only where the
    graph meets its arguments and results, or an op that fixes the layout.

    Before:
    ```mlir
    %0 = tosa.transpose %arg0, %nhwc : (tensor<1x3x8x8xf32>, tensor<4xi32>) -> tensor<1x8x8x3xf32>
    %1 = tosa.conv2d %0, %w, %b {...} : (...) -> tensor<1x8x8x4xf32>
    %2 = tosa.transpose %1, %nchw : (tensor<1x8x8x4xf32>, tensor<4xi32>) -> tensor<1x4x8x8xf32>
    %3 = tosa.clamp %2 {...} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %4 = tosa.transpose %3, %nhwc : (tensor<1x4x8x8xf32>, tensor<4xi32>) -> tensor<1x8x8x4xf32>
    %5 = tosa.conv2d %4, %w2, %b2 {...} : (...) -> tensor<1x8x8x4xf32>
    %6 = tosa.transpose %5, %nchw : (tensor<1x8x8x4xf32>, tensor<4xi32>) -> tensor<1x4x8x8xf32>
    return %6 : tensor<1x4x8x8xf32>
    ```
    After:
    ```mlir
    %0 = tosa.transpose %arg0, %nhwc : (tensor<1x3x8x8xf32>, tensor<4xi32>) -> tensor<1x8x8x3xf32>
    %1 = tosa.conv2d %0, %w, %b {...} : (...) -> tensor<1x8x8x4xf32>
    %3 = tosa.clamp %1 {...} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
    %5 = tosa.conv2d %3, %w2, %b2 {...} : (...) -> tensor<1x8x8x4xf32>
    %6 = tosa.transpose %5, %nchw : (tensor<1x8x8x4xf32>, tensor<4xi32>) -> tensor<1x4x8x8xf32>
    return %6 : tensor<1x4x8x8xf32>
    ```
  }];
  let dependentDialects = ["mlir::tosa::TosaDialect"];
}

def KilnFoldIntoConvPass : Pass<"kiln-fold-into-conv", "mlir::func::FuncOp"> {
  let summary = "Fold BatchNorm scales and bias adds into the preceding convolution";
  let description = [{
    A BatchNormalization imported as `x * scale + shift` with per-channel
    constants, and a constant bias add, cost a pass over the tensor each. When
    they follow a `tosa.conv2d`, `tosa.depthwise_conv2d` or
    `tosa.transpose_conv2d` (float, with constant weights and bias) whose
    result they alone use, and their constant varies at most along the
    output channel (the last dimension, after kiln-propagate-layout), they
    fold exactly into the convolution: the weights of output channel c are
    multiplied by scale[c] and the bias becomes bias[c] * scale[c] + shift[c].
    The arithmetic is done in double and rounded once to the weights' type.

    Before:
    ```mlir
    %0 = tosa.conv2d %x, %w, %b {...} : (...) -> tensor<1x8x8x4xf32>
    %1 = tosa.mul %0, %scale {shift = 0 : i8} : (tensor<1x8x8x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x8x8x4xf32>
    %2 = tosa.add %1, %shift : (tensor<1x8x8x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x8x8x4xf32>
    ```
    After:
    ```mlir
    %2 = tosa.conv2d %x, %w_scaled, %b_folded {...} : (...) -> tensor<1x8x8x4xf32>
    ```
  }];
  let dependentDialects = ["mlir::tosa::TosaDialect"];
}

def KilnFoldConstantsPass : Pass<"kiln-fold-constants", "mlir::func::FuncOp"> {
  let summary = "Evaluate TOSA ops whose operands are all constants";
  let description = [{
    Evaluates elementwise ops (add, sub, mul, int_div, reciprocal, negate,
    abs, exp, log, rsqrt, pow, maximum, minimum, clamp, cast, floor, ceil,
    sigmoid, tanh) with numpy broadcasting, and reshape and transpose, when
    every operand is a `tosa.const` (dense or dense_resource). Float math is
    done in double and rounded once to the result type. A result is folded if
    it has at most `max-elements` elements or is no larger than its largest
    operand, so folding never blows up the weights.

    Before:
    ```mlir
    %a = "tosa.const"() <{value = dense<[1.0, 4.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
    %r = tosa.rsqrt %a : (tensor<2xf32>) -> tensor<2xf32>
    ```
    After:
    ```mlir
    %r = "tosa.const"() <{value = dense<[1.0, 5.0e-01]> : tensor<2xf32>}> : () -> tensor<2xf32>
    ```
  }];
  let options = [
    Option<"maxElements", "max-elements", "int64_t", /*default=*/"1 << 16",
           "Largest result (in elements) folded when it is bigger than every operand">,
  ];
  let dependentDialects = ["mlir::tosa::TosaDialect"];
}

#endif // KILN_PASSES_TD
