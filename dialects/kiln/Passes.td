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
    result alone (bias add, activation, residual add). Other ops form kernels
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

#endif // KILN_PASSES_TD
