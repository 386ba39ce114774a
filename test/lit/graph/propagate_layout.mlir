// RUN: kiln-opt %s --split-input-file --kiln-propagate-layout | FileCheck %s

// The importer's form of conv -> BatchNorm -> relu6 -> conv -> residual add:
// every transpose inside cancels, the BatchNorm constants are permuted to
// NHWC, and the residual add moves to NHWC so that a transpose is left only
// at the input and at the output.
// CHECK-LABEL: func.func @block
// CHECK-DAG: %[[NHWC:.*]] = "tosa.const"() <{value = dense<[0, 2, 3, 1]>
// CHECK-DAG: %[[NCHW:.*]] = "tosa.const"() <{value = dense<[0, 3, 1, 2]>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{value = dense<{{\[\[\[\[}}2.000000e+00, 5.000000e-01, 1.000000e+00, -1.000000e+00]]]]> : tensor<1x1x1x4xf32>}>
// CHECK-DAG: %[[T:.*]] = "tosa.const"() <{value = dense<{{\[\[\[\[}}1.000000e-01, 2.000000e-01, 3.000000e-01, 4.000000e-01]]]]> : tensor<1x1x1x4xf32>}>
// CHECK: %[[IN:.*]] = tosa.transpose %arg0, %[[NHWC]]
// CHECK-NEXT: %[[C1:.*]] = tosa.conv2d %[[IN]]
// CHECK-NEXT: %[[M:.*]] = tosa.mul %[[C1]], %[[S]]
// CHECK-NEXT: %[[A:.*]] = tosa.add %[[M]], %[[T]]
// CHECK-NEXT: %[[R:.*]] = tosa.clamp %[[A]]
// CHECK-NEXT: %[[C2:.*]] = tosa.conv2d %[[R]]
// CHECK-NEXT: %[[IN2:.*]] = tosa.transpose %arg0, %[[NHWC]]
// CHECK-NEXT: %[[SUM:.*]] = tosa.add %[[C2]], %[[IN2]] : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>)
// CHECK-NEXT: %[[OUT:.*]] = tosa.transpose %[[SUM]], %[[NCHW]]
// CHECK-NEXT: return %[[OUT]]
func.func @block(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %nhwc = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %w1 = "tosa.const"() <{value = dense<1.0> : tensor<4x1x1x2xf32>}> : () -> tensor<4x1x1x2xf32>
  %b1 = "tosa.const"() <{value = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %s1 = "tosa.const"() <{value = dense<[[[[2.0]], [[0.5]], [[1.0]], [[-1.0]]]]> : tensor<1x4x1x1xf32>}> : () -> tensor<1x4x1x1xf32>
  %t1 = "tosa.const"() <{value = dense<[[[[0.1]], [[0.2]], [[0.3]], [[0.4]]]]> : tensor<1x4x1x1xf32>}> : () -> tensor<1x4x1x1xf32>
  %w2 = "tosa.const"() <{value = dense<0.25> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %b2 = "tosa.const"() <{value = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %0 = tosa.transpose %x, %nhwc : (tensor<1x2x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
  %1 = tosa.conv2d %0, %w1, %b1 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<4x1x1x2xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %2 = tosa.transpose %1, %nchw : (tensor<1x4x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x4xf32>
  %3 = tosa.mul %2, %s1 {shift = 0 : i8} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %4 = tosa.add %3, %t1 : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %5 = tosa.clamp %4 {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %6 = tosa.transpose %5, %nhwc : (tensor<1x4x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x4xf32>
  %7 = tosa.conv2d %6, %w2, %b2 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %8 = tosa.transpose %7, %nchw : (tensor<1x4x4x2xf32>, tensor<4xi32>) -> tensor<1x2x4x4xf32>
  %9 = tosa.add %8, %x : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %9 : tensor<1x2x4x4xf32>
}

// -----

// Concat on the channel axis moves to axis 3 (its constant operand is
// transposed), the pad's paddings follow their dimensions, and the pool reads
// the result directly.
// CHECK-LABEL: func.func @concat_pad_pool
// CHECK-DAG: %[[Z:.*]] = "tosa.const"() <{value = dense<0.000000e+00> : tensor<1x4x4x2xf32>}>
// CHECK-DAG: %[[P:.*]] = "tosa.const"() <{value = dense<{{\[\[}}0, 0], [1, 0], [0, 1], [0, 0]]> : tensor<4x2xi32>}>
// CHECK: %[[C:.*]] = tosa.conv2d
// CHECK-NEXT: %[[CAT:.*]] = tosa.concat %[[C]], %[[Z]] {axis = 3 : i32}
// CHECK-NEXT: %[[PAD:.*]] = tosa.pad %[[CAT]], %[[P]] : (tensor<1x4x4x4xf32>, tensor<4x2xi32>) -> tensor<1x5x5x4xf32>
// CHECK-NEXT: %[[POOL:.*]] = tosa.max_pool2d %[[PAD]]
// CHECK-NEXT: tosa.transpose %[[POOL]]
// CHECK-NEXT: return
func.func @concat_pad_pool(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x3x3xf32> {
  %nhwc = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %w = "tosa.const"() <{value = dense<1.0> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{value = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zeros = "tosa.const"() <{value = dense<0.0> : tensor<1x2x4x4xf32>}> : () -> tensor<1x2x4x4xf32>
  %pads = "tosa.const"() <{value = dense<[[0, 0], [0, 0], [1, 0], [0, 1]]> : tensor<4x2xi32>}> : () -> tensor<4x2xi32>
  %0 = tosa.transpose %x, %nhwc : (tensor<1x2x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
  %1 = tosa.conv2d %0, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %2 = tosa.transpose %1, %nchw : (tensor<1x4x4x2xf32>, tensor<4xi32>) -> tensor<1x2x4x4xf32>
  %3 = tosa.concat %2, %zeros {axis = 1 : i32} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %4 = tosa.pad %3, %pads : (tensor<1x4x4x4xf32>, tensor<4x2xi32>) -> tensor<1x4x5x5xf32>
  %5 = tosa.transpose %4, %nhwc : (tensor<1x4x5x5xf32>, tensor<4xi32>) -> tensor<1x5x5x4xf32>
  %6 = tosa.max_pool2d %5 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>} : (tensor<1x5x5x4xf32>) -> tensor<1x3x3x4xf32>
  %7 = tosa.transpose %6, %nchw : (tensor<1x3x3x4xf32>, tensor<4xi32>) -> tensor<1x4x3x3xf32>
  return %7 : tensor<1x4x3x3xf32>
}

// -----

// A reduction over NCHW channels becomes one over the last axis; the
// transpose left at the output only moves a unit dimension: a reshape.
// CHECK-LABEL: func.func @reduce
// CHECK: %[[C:.*]] = tosa.conv2d
// CHECK-NEXT: %[[E:.*]] = tosa.exp %[[C]] : (tensor<1x8x8x4xf32>)
// CHECK-NEXT: %[[S:.*]] = tosa.reduce_sum %[[E]] {axis = 3 : i32} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x1xf32>
// CHECK-NEXT: %[[R:.*]] = tosa.reciprocal %[[S]]
// CHECK-NEXT: %[[OUT:.*]] = tosa.reshape %[[R]] {new_shape = array<i64: 1, 1, 8, 8>}
// CHECK-NEXT: return %[[OUT]]
// CHECK-NOT: tosa.transpose
func.func @reduce(%x: tensor<1x8x8x4xf32>) -> tensor<1x1x8x8xf32> {
  %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %w = "tosa.const"() <{value = dense<1.0> : tensor<4x3x3x4xf32>}> : () -> tensor<4x3x3x4xf32>
  %b = "tosa.const"() <{value = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<4x3x3x4xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %1 = tosa.transpose %0, %nchw : (tensor<1x8x8x4xf32>, tensor<4xi32>) -> tensor<1x4x8x8xf32>
  %2 = tosa.exp %1 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %3 = tosa.reduce_sum %2 {axis = 1 : i32} : (tensor<1x4x8x8xf32>) -> tensor<1x1x8x8xf32>
  %4 = tosa.reciprocal %3 : (tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return %4 : tensor<1x1x8x8xf32>
}

// -----

// A detection head's [1,C,H,W] -> [1,C,H*W] -> [1,H*W,C]: H and W merge
// contiguously in NHWC, so the transposes meet below the reshape and cancel.
// CHECK-LABEL: func.func @reshape_contiguous
// CHECK-NEXT: %[[R:.*]] = tosa.reshape %arg0 {new_shape = array<i64: 1, 16, 6>}
// CHECK-NEXT: return %[[R]]
func.func @reshape_contiguous(%x: tensor<1x4x4x6xf32>) -> tensor<1x16x6xf32> {
  %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %p021 = "tosa.const"() <{value = dense<[0, 2, 1]> : tensor<3xi32>}> : () -> tensor<3xi32>
  %0 = tosa.transpose %x, %nchw : (tensor<1x4x4x6xf32>, tensor<4xi32>) -> tensor<1x6x4x4xf32>
  %1 = tosa.reshape %0 {new_shape = array<i64: 1, 6, 16>} : (tensor<1x6x4x4xf32>) -> tensor<1x6x16xf32>
  %2 = tosa.transpose %1, %p021 : (tensor<1x6x16xf32>, tensor<3xi32>) -> tensor<1x16x6xf32>
  return %2 : tensor<1x16x6xf32>
}

// -----

// Negative: merging C with H is not contiguous in NHWC (an NCHW flatten
// before a fully connected layer): the transpose stays above the reshape.
// CHECK-LABEL: func.func @reshape_not_contiguous
// CHECK-NEXT: %[[P:.*]] = "tosa.const"
// CHECK-NEXT: %[[T:.*]] = tosa.transpose %arg0, %[[P]]
// CHECK-NEXT: tosa.reshape %[[T]] {new_shape = array<i64: 1, 24, 4>}
func.func @reshape_not_contiguous(%x: tensor<1x4x4x6xf32>) -> tensor<1x24x4xf32> {
  %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %0 = tosa.transpose %x, %nchw : (tensor<1x4x4x6xf32>, tensor<4xi32>) -> tensor<1x6x4x4xf32>
  %1 = tosa.reshape %0 {new_shape = array<i64: 1, 24, 4>} : (tensor<1x6x4x4xf32>) -> tensor<1x24x4xf32>
  return %1 : tensor<1x24x4xf32>
}

// -----

// Negative: two NCHW arguments added before a conv. Moving the add to NHWC
// would need a transpose on each argument instead of one on the sum.
// CHECK-LABEL: func.func @add_of_arguments
// CHECK-NEXT: %[[P:.*]] = "tosa.const"() <{value = dense<[0, 2, 3, 1]>
// CHECK-NEXT: %[[W:.*]] = "tosa.const"
// CHECK-NEXT: %[[B:.*]] = "tosa.const"
// CHECK-NEXT: %[[A:.*]] = tosa.add %arg0, %arg1 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>)
// CHECK-NEXT: %[[T:.*]] = tosa.transpose %[[A]], %[[P]]
// CHECK-NEXT: tosa.conv2d %[[T]]
func.func @add_of_arguments(%x: tensor<1x2x4x4xf32>, %y: tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32> {
  %nhwc = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %w = "tosa.const"() <{value = dense<1.0> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{value = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %0 = tosa.add %x, %y : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %1 = tosa.transpose %0, %nhwc : (tensor<1x2x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
  %2 = tosa.conv2d %1, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %2 : tensor<1x4x4x2xf32>
}

// -----

// A transpose of a dense_resource constant folds into a new blob, permuted:
// NHWC element (h=0, w=0) holds channels 0 and 1, i.e. 0.0 and 16.0, then
// (h=0, w=1) holds 1.0 and 17.0.
// CHECK-LABEL: func.func @resource_constant
// CHECK-NEXT: %[[W:.*]] = "tosa.const"() <{value = dense_resource<[[NAME:.*]]> : tensor<1x4x4x2xf32>}>
// CHECK-NEXT: %[[M:.*]] = tosa.mul %arg0, %[[W]] {shift = 0 : i8} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>)
// CHECK-NEXT: return %[[M]]
// CHECK: [[NAME]]: "0x0400000000000000000080410000803F0000884100000040
func.func @resource_constant(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %nhwc = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %c = "tosa.const"() <{value = dense_resource<iota> : tensor<1x2x4x4xf32>}> : () -> tensor<1x2x4x4xf32>
  %0 = tosa.transpose %x, %nchw : (tensor<1x4x4x2xf32>, tensor<4xi32>) -> tensor<1x2x4x4xf32>
  %1 = tosa.mul %0, %c {shift = 0 : i8} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %2 = tosa.transpose %1, %nhwc : (tensor<1x2x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
  return %2 : tensor<1x4x4x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      iota: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F841"
    }
  }
#-}
