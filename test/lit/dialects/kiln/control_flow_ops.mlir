// kiln.if and kiln.loop (docs/CONTROL_FLOW.md) print and parse back, with
// and without captures, trip count and condition.
// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @choose
// CHECK: kiln.if %arg0 : tensor<1xi1> then @neg(%arg1 : tensor<4xf32>) else @zero() -> tensor<4xf32>
func.func @choose(%c: tensor<1xi1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %y = kiln.if %c : tensor<1xi1> then @neg(%x : tensor<4xf32>) else @zero() -> tensor<4xf32>
  return %y : tensor<4xf32>
}
func.func private @neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = tosa.negate %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
func.func private @zero() -> tensor<4xf32> {
  %z = "tosa.const"() <{value = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// CHECK-LABEL: func.func @repeat
// CHECK: kiln.loop @step trip(%arg0 : tensor<i64>) carried(%arg1 : tensor<4xf32>) captures() -> tensor<4xf32>, tensor<3x4xf32>
// CHECK: kiln.loop @step while(%arg2 : tensor<i1>) carried(%{{.*}}#0 : tensor<4xf32>) captures() -> tensor<4xf32>, tensor<3x4xf32>
func.func @repeat(%n: tensor<i64>, %x: tensor<4xf32>, %go: tensor<i1>) -> (tensor<4xf32>, tensor<3x4xf32>) {
  %r:2 = kiln.loop @step trip(%n : tensor<i64>) carried(%x : tensor<4xf32>) captures() -> tensor<4xf32>, tensor<3x4xf32>
  %s:2 = kiln.loop @step while(%go : tensor<i1>) carried(%r#0 : tensor<4xf32>) captures() -> tensor<4xf32>, tensor<3x4xf32>
  return %s#0, %s#1 : tensor<4xf32>, tensor<3x4xf32>
}
func.func private @step(%i: tensor<i64>, %c: tensor<i1>, %x: tensor<4xf32>) -> (tensor<i1>, tensor<4xf32>, tensor<4xf32>) {
  %y = tosa.negate %x : (tensor<4xf32>) -> tensor<4xf32>
  return %c, %y, %y : tensor<i1>, tensor<4xf32>, tensor<4xf32>
}
