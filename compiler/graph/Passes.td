//===- Passes.td - graph-phase passes (TOSA to TOSA) ------*- tablegen -*-===//
//
// The graph phase: folding, layout and clean-up on TOSA, before kernels are
// formed. One pass per file: pass KilnXxxPass, flag kiln-xxx, file
// compiler/graph/Xxx.cpp, test test/lit/graph/xxx.mlir.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_GRAPH_PASSES_TD
#define KILN_GRAPH_PASSES_TD

include "mlir/Pass/PassBase.td"

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

#endif // KILN_GRAPH_PASSES_TD
