// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @one_kernel
// CHECK: %[[R:.*]] = kiln.kernel "relu_0"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4xf32> attributes {hash = "abc"} {
// CHECK: ^bb0(%[[A:.*]]: tensor<1x4xf32>):
// CHECK:   %[[C:.*]] = tosa.clamp %[[A]]
// CHECK:   kiln.yield %[[C]] : tensor<1x4xf32>
// CHECK: return %[[R]]
func.func @one_kernel(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = kiln.kernel "relu_0"(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32> attributes {hash = "abc"} {
  ^bb0(%a: tensor<1x4xf32>):
    %c = tosa.clamp %a {min_fp = 0.0 : f32, max_fp = 3.4e38 : f32, min_int = 0 : i64, max_int = 2147483647 : i64} : (tensor<1x4xf32>) -> tensor<1x4xf32>
    kiln.yield %c : tensor<1x4xf32>
  }
  return %r : tensor<1x4xf32>
}

// Several inputs and results; the hash is optional.
// CHECK-LABEL: func.func @two_results
// CHECK: %{{.*}}:2 = kiln.kernel "k"(%arg0, %arg1) : (tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
func.func @two_results(%x: tensor<2xf32>, %y: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %r:2 = kiln.kernel "k"(%x, %y) : (tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    %s = tosa.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    %d = tosa.sub %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    kiln.yield %s, %d : tensor<2xf32>, tensor<2xf32>
  }
  return %r#0, %r#1 : tensor<2xf32>, tensor<2xf32>
}
