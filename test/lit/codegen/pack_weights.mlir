// RUN: kiln-opt %s --kiln-pack-weights | FileCheck %s

// Constant conv weights are stored HWIO (output channels innermost) and
// transposed back to TOSA's OHWI inside the kernel; the original constant,
// now unused, is gone.
// CHECK-LABEL: func.func @conv
// CHECK-NOT: tensor<2x1x1x3xf32>}>
// CHECK: %[[W:.*]] = "tosa.const"() <{value = dense<{{\[\[\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]]]> : tensor<1x1x3x2xf32>}>
// CHECK: kiln.kernel "conv"(%arg0, %[[W]], %{{.*}}) : (tensor<1x4x4x3xf32>, tensor<1x1x3x2xf32>, tensor<2xf32>)
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<1x4x4x3xf32>, %[[A:.*]]: tensor<1x1x3x2xf32>, %{{.*}}: tensor<2xf32>):
// CHECK-NEXT: %[[P:.*]] = "tosa.const"() <{value = dense<[3, 0, 1, 2]> : tensor<4xi32>}>
// CHECK-NEXT: %[[T:.*]] = tosa.transpose %[[A]], %[[P]] : (tensor<1x1x3x2xf32>, tensor<4xi32>) -> tensor<2x1x1x3xf32>
// CHECK-NEXT: tosa.conv2d %{{.*}}, %[[T]], %{{.*}}
func.func @conv(%x: tensor<1x4x4x3xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {value = dense<[[[[1.0, 2.0, 3.0]]], [[[4.0, 5.0, 6.0]]]]> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %b = "tosa.const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = kiln.kernel "conv" (%x, %w, %b) : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  ^bb0(%a: tensor<1x4x4x3xf32>, %c: tensor<2x1x1x3xf32>, %d: tensor<2xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
    kiln.yield %1 : tensor<1x4x4x2xf32>
  }
  return %0 : tensor<1x4x4x2xf32>
}

// fully_connected weights become [IC, OC]; a weight that is a runtime input
// (not a constant) keeps TOSA's layout.
// CHECK-LABEL: func.func @fc
// CHECK: %[[W:.*]] = "tosa.const"() <{value = dense<{{\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>}>
// CHECK: kiln.kernel "fc"(%arg0, %[[W]], %{{.*}})
// CHECK: tosa.transpose
// CHECK: tosa.fully_connected
// CHECK: kiln.kernel "runtime_weights"(%arg0, %arg1, %{{.*}}) : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>)
// CHECK-NOT: tosa.transpose
// CHECK: tosa.fully_connected
func.func @fc(%x: tensor<1x2xf32>, %rw: tensor<2x2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = "tosa.const"() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %b = "tosa.const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = kiln.kernel "fc" (%x, %w, %b) : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> {
  ^bb0(%a: tensor<1x2xf32>, %c: tensor<2x2xf32>, %d: tensor<2xf32>):
    %1 = tosa.fully_connected %a, %c, %d : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    kiln.yield %1 : tensor<1x2xf32>
  }
  %2 = kiln.kernel "runtime_weights" (%x, %rw, %b) : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> {
  ^bb0(%a: tensor<1x2xf32>, %c: tensor<2x2xf32>, %d: tensor<2xf32>):
    %3 = tosa.fully_connected %a, %c, %d : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    kiln.yield %3 : tensor<1x2xf32>
  }
  return %0, %2 : tensor<1x2xf32>, tensor<1x2xf32>
}
