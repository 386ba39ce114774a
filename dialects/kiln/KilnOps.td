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

def Kiln_IfOp : Kiln_Op<"if", [Pure, AttrSizedOperandSegments]> {
  let summary = "Runs one of two functions, chosen by a run-time condition";
  let description = [{
    The host code reads `condition` (one bool) and runs the kernels of
    `then_branch` or of `else_branch`, never both (docs/CONTROL_FLOW.md).
    Each branch is a private `func.func` of the module that takes the
    captured outer values (`then_captures`, `else_captures`) as arguments
    and returns one value per result, of the result's type.
    ```mlir
    %r = kiln.if %c : tensor<i1> then @body_y_then(%x : tensor<4xf32>)
        else @body_y_else(%x : tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$condition, FlatSymbolRefAttr:$then_branch,
      Variadic<AnyType>:$then_captures, FlatSymbolRefAttr:$else_branch,
      Variadic<AnyType>:$else_captures);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $condition `:` type($condition)
    `then` $then_branch `(` ($then_captures^ `:` type($then_captures))? `)`
    `else` $else_branch `(` ($else_captures^ `:` type($else_captures))? `)`
    attr-dict `->` type($results)
  }];
}

def Kiln_LoopOp : Kiln_Op<"loop", [Pure, AttrSizedOperandSegments]> {
  let summary = "Runs a function in a host loop (ONNX Loop semantics)";
  let description = [{
    The host code runs `body` while the iteration number is below
    `trip_count` (int64, one element; none: no limit) and the condition is
    true (`condition`, one bool, then what the body returns first; none:
    true). The body takes (iteration number `tensor<i64>`, condition
    `tensor<i1>`, the carried values, the captured values) and returns (the
    next condition `tensor<i1>`, the next carried values, one element of
    each scan output). The results are the final carried values, then the
    scan outputs, each the elements stacked along a new first dimension
    whose static size the loop must run exactly, or the host reports an
    error (docs/CONTROL_FLOW.md).
  }];
  let arguments = (ins FlatSymbolRefAttr:$body, Optional<AnyRankedTensor>:$trip_count,
      Optional<AnyRankedTensor>:$condition, Variadic<AnyType>:$carried,
      Variadic<AnyType>:$captures);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $body (`trip` `(` $trip_count^ `:` type($trip_count) `)`)?
    (`while` `(` $condition^ `:` type($condition) `)`)?
    `carried` `(` ($carried^ `:` type($carried))? `)`
    `captures` `(` ($captures^ `:` type($captures))? `)` attr-dict `->` type($results)
  }];
}

#endif // KILN_OPS_TD
