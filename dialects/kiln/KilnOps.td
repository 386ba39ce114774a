//===- KilnOps.td - kiln dialect operations ---------------*- tablegen -*-===//
#ifndef KILN_OPS_TD
#define KILN_OPS_TD

include "dialects/kiln/KilnDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Kiln_KernelOp : Kiln_Op<"kernel", [
    IsolatedFromAbove,
    SingleBlockImplicitTerminator<"YieldOp">,
    RecursiveMemoryEffects]> {
  let summary = "One fused kernel: a region compiled as a single function";
  let description = [{
    `kiln.kernel` holds a group of graph ops that are compiled together into
    one function (like IREE's dispatch regions). The region is isolated from
    above: every value it uses enters as an operand, and the block's
    arguments mirror the operands one to one, in order and type. The region
    ends in `kiln.yield`, whose operands become the op's results.

    The optional `hash` is the kernel's structural hash (ops, shapes and
    types); kernels with equal hashes share one compiled function.

    Example:

    ```mlir
    %r = kiln.kernel "conv_relu" (%x, %w) : (tensor<1x8x8x4xf32>, tensor<4xf32>)
        -> tensor<1x8x8x4xf32> {
    ^bb0(%a: tensor<1x8x8x4xf32>, %b: tensor<4xf32>):
      %0 = tosa.add %a, %b : ...
      kiln.yield %0 : tensor<1x8x8x4xf32>
    }
    ```
  }];

  let arguments = (ins
    StrAttr:$kernel_name,
    Variadic<AnyType>:$inputs,
    OptionalAttr<StrAttr>:$hash
  );
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);

  let assemblyFormat = [{
    $kernel_name `(` $inputs `)` `:` functional-type($inputs, $results)
    attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;

  let extraClassDeclaration = [{
    /// The terminator of the body.
    YieldOp getYield();
  }];
}

def Kiln_YieldOp : Kiln_Op<"yield", [
    Pure, Terminator, ReturnLike, HasParent<"KernelOp">]> {
  let summary = "Ends a kiln.kernel body and names its results";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, mlir::ValueRange()); }]>];
}

#endif // KILN_OPS_TD
