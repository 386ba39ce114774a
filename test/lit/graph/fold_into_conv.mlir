// RUN: kiln-opt %s --split-input-file --kiln-fold-into-conv | FileCheck %s

// BatchNorm after a conv, as kiln-propagate-layout leaves it: weights of
// output channel c scale by s[c]; the bias becomes b * s + t.
//   W = [[1, 2], [3, 4]], b = [0.5, -1], s = [2, -0.5], t = [0.25, 1]
//   W' = [[2, 4], [-1.5, -2]], b' = [1.25, 1.5]
// CHECK-LABEL: func.func @conv_batchnorm
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{value = dense<{{\[\[\[\[}}2.000000e+00, 4.000000e+00]]], {{\[\[\[}}-1.500000e+00, -2.000000e+00]]]]> : tensor<2x1x1x2xf32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{value = dense<[1.250000e+00, 1.500000e+00]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[W]], %[[B]]
// CHECK-NEXT: return %[[C]]
func.func @conv_batchnorm(%x: tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32> {
  %w = "tosa.const"() <{value = dense<[[[[1.0, 2.0]]], [[[3.0, 4.0]]]]> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{value = dense<[0.5, -1.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %s = "tosa.const"() <{value = dense<[[[[2.0, -0.5]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %t = "tosa.const"() <{value = dense<[[[[0.25, 1.0]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %1 = tosa.mul %0, %s {shift = 0 : i8} : (tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x3x3x2xf32>
  %2 = tosa.add %1, %t : (tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x3x3x2xf32>
  return %2 : tensor<1x3x3x2xf32>
}

// -----

// Depthwise weights are [KH, KW, C, M]; output channel c * M + m.
//   W = [[1, 2], [3, 4]] (C = 2, M = 2), s = [1, 2, 3, 4] -> [[1, 4], [9, 16]]
// The scale is the left operand here; a single-element bias broadcasts.
// CHECK-LABEL: func.func @depthwise_scale
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{value = dense<{{\[\[\[\[}}1.000000e+00, 4.000000e+00], [9.000000e+00, 1.600000e+01]]]]> : tensor<1x1x2x2xf32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{value = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>}>
// CHECK: %[[C:.*]] = tosa.depthwise_conv2d %arg0, %[[W]], %[[B]]
// CHECK-NEXT: return %[[C]]
func.func @depthwise_scale(%x: tensor<1x3x3x2xf32>) -> tensor<1x3x3x4xf32> {
  %w = "tosa.const"() <{value = dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>}> : () -> tensor<1x1x2x2xf32>
  %b = "tosa.const"() <{value = dense<1.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %s = "tosa.const"() <{value = dense<[[[[1.0, 2.0, 3.0, 4.0]]]]> : tensor<1x1x1x4xf32>}> : () -> tensor<1x1x1x4xf32>
  %0 = tosa.depthwise_conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<1x1x2x2xf32>, tensor<1xf32>) -> tensor<1x3x3x4xf32>
  %1 = tosa.mul %s, %0 {shift = 0 : i8} : (tensor<1x1x1x4xf32>, tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %1 : tensor<1x3x3x4xf32>
}

// -----

// A bias add, a subtraction and a subtraction from a constant (which negates
// the weights) all fold; the weights stay as they are when unscaled.
// CHECK-LABEL: func.func @bias_and_sub
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{value = dense<-1.000000e+00> : tensor<2x1x1x2xf32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{value = dense<[-4.000000e+00, -3.000000e+00]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[W]], %[[B]]
// CHECK-NEXT: return %[[C]]
func.func @bias_and_sub(%x: tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32> {
  %w = "tosa.const"() <{value = dense<1.0> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %add = "tosa.const"() <{value = dense<[[[[10.0, 20.0]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %sub = "tosa.const"() <{value = dense<3.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %from = "tosa.const"() <{value = dense<[[[[4.0, 16.0]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  // bias: [1, 2] + [10, 20] - 3 = [8, 19]; then [4, 16] - conv: [-4, -3].
  %1 = tosa.add %0, %add : (tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x3x3x2xf32>
  %2 = tosa.sub %1, %sub : (tensor<1x3x3x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x3x3x2xf32>
  %3 = tosa.sub %from, %2 : (tensor<1x1x1x2xf32>, tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
  return %3 : tensor<1x3x3x2xf32>
}

// -----

// Large weights are dense_resource blobs; the folded weights are a new blob.
// W = 0..19 as [4, 5]: row 0 keeps 0..4, row 1 (5..9) doubles to 10..18.
// CHECK-LABEL: func.func @resource_weights
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{value = dense_resource<[[NAME:kiln_folded_weights.*]]> : tensor<4x1x1x5xf32>}>
// CHECK: tosa.conv2d %arg0, %[[W]]
// CHECK-NOT: tosa.mul
// CHECK: [[NAME]]: "0x04000000000000000000803F00000040000040400000804000002041000040410000604100008041000090410000
func.func @resource_weights(%x: tensor<1x2x2x5xf32>) -> tensor<1x2x2x4xf32> {
  %w = "tosa.const"() <{value = dense_resource<weights> : tensor<4x1x1x5xf32>}> : () -> tensor<4x1x1x5xf32>
  %b = "tosa.const"() <{value = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %s = "tosa.const"() <{value = dense<[[[[1.0, 2.0, 3.0, 4.0]]]]> : tensor<1x1x1x4xf32>}> : () -> tensor<1x1x1x4xf32>
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x2x2x5xf32>, tensor<4x1x1x5xf32>, tensor<4xf32>) -> tensor<1x2x2x4xf32>
  %1 = tosa.mul %0, %s {shift = 0 : i8} : (tensor<1x2x2x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x2x4xf32>
  return %1 : tensor<1x2x2x4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      weights: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E040000000410000104100002041000030410000404100005041000060410000704100008041000088410000904100009841"
    }
  }
#-}

// -----

// transpose_conv2d filters are [OC, KH, KW, IC]: rows scale like conv2d's.
//   W = [[1, 2], [3, 4]] (OC = 2, IC = 2), s = [3, -1] -> [[3, 6], [-3, -4]]
// CHECK-LABEL: func.func @transpose_conv_scale
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{value = dense<{{\[\[\[\[}}3.000000e+00, 6.000000e+00]]], {{\[\[\[}}-3.000000e+00, -4.000000e+00]]]]> : tensor<2x1x1x2xf32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{value = dense<[3.000000e+00, -1.000000e+00]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.transpose_conv2d %arg0, %[[W]], %[[B]]
// CHECK-NEXT: return %[[C]]
func.func @transpose_conv_scale(%x: tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32> {
  %w = "tosa.const"() <{value = dense<[[[[1.0, 2.0]]], [[[3.0, 4.0]]]]> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %s = "tosa.const"() <{value = dense<[[[[3.0, -1.0]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %0 = tosa.transpose_conv2d %x, %w, %b {out_pad = array<i64: 0, 0, 0, 0>, out_shape = array<i64: 1, 3, 3, 2>, stride = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %1 = tosa.mul %0, %s {shift = 0 : i8} : (tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x3x3x2xf32>
  return %1 : tensor<1x3x3x2xf32>
}

// -----

// Negative: the conv's result has another user; the scale varies along W;
// the multiplier is not a constant. Nothing folds.
// CHECK-LABEL: func.func @not_foldable
// CHECK-COUNT-3: tosa.mul
func.func @not_foldable(%x: tensor<1x3x3x2xf32>, %y: tensor<1x3x3x2xf32>) -> (tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>) {
  %w = "tosa.const"() <{value = dense<1.0> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{value = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %s = "tosa.const"() <{value = dense<2.0> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %sw = "tosa.const"() <{value = dense<[[[[1.0], [2.0], [3.0]]]]> : tensor<1x1x3x1xf32>}> : () -> tensor<1x1x3x1xf32>
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %1 = tosa.mul %0, %s {shift = 0 : i8} : (tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x3x3x2xf32>
  %2 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %3 = tosa.mul %2, %sw {shift = 0 : i8} : (tensor<1x3x3x2xf32>, tensor<1x1x3x1xf32>) -> tensor<1x3x3x2xf32>
  %4 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %5 = tosa.mul %4, %y {shift = 0 : i8} : (tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
  return %0, %1, %3, %5 : tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>
}
