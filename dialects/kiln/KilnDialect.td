//===- KilnDialect.td - the kiln dialect ------------------*- tablegen -*-===//
//
// Kiln's own dialect adds only what TOSA lacks: how the graph is cut into
// fused kernels (and, later, their schedules and the model's interface).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECT_TD
#define KILN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::kiln";
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// In KilnAttrs.cpp, beside the attributes' storage classes.
    void registerAttributes();
  }];
  let summary = "Kernel grouping, schedules and model interface for Kiln";
  let description = [{
    The `kiln` dialect sits beside upstream TOSA. A model's graph is TOSA over
    tensors; Kiln cuts it into `kiln.kernel` regions, each of which becomes
    one compiled function (a Halide pipeline) with explicit inputs and results.
  }];
}

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

#endif // KILN_DIALECT_TD
