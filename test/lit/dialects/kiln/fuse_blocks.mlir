// RUN: kiln-opt %s --kiln-form-kernels --kiln-fuse-blocks=min-bytes=4096 | FileCheck %s
// RUN: kiln-opt %s --kiln-form-kernels --kiln-fuse-blocks | FileCheck %s --check-prefix=SMALL

// An inverted-residual block (expand 1x1, depthwise 3x3, project 1x1,
// residual add) becomes one kernel; the block input is passed once although
// both the expand conv and the add read it.
// CHECK-LABEL: func.func @inverted_residual
// CHECK: %[[K:.*]] = kiln.kernel "block_conv2d_2"(%arg0,
// CHECK-SAME: -> tensor<1x8x8x4xf32> attributes {hash =
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: tosa.clamp
// CHECK-NEXT: tosa.depthwise_conv2d
// CHECK-NEXT: tosa.clamp
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: tosa.add
// CHECK-NEXT: kiln.yield
// CHECK-NOT: kiln.kernel
// CHECK: return %[[K]]
// Below the default threshold (1 MiB) the same block stays three kernels.
// SMALL-LABEL: func.func @inverted_residual
// SMALL: kiln.kernel "conv2d_0"
// SMALL: kiln.kernel "depthwise_conv2d_1"
// SMALL: kiln.kernel "conv2d_2"
func.func @inverted_residual(%x: tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32> {
  %we = "tosa.const"() {value = dense<0.1> : tensor<24x1x1x4xf32>} : () -> tensor<24x1x1x4xf32>
  %be = "tosa.const"() {value = dense<0.0> : tensor<24xf32>} : () -> tensor<24xf32>
  %wd = "tosa.const"() {value = dense<0.2> : tensor<3x3x24x1xf32>} : () -> tensor<3x3x24x1xf32>
  %bd = "tosa.const"() {value = dense<0.0> : tensor<24xf32>} : () -> tensor<24xf32>
  %wp = "tosa.const"() {value = dense<0.3> : tensor<4x1x1x24xf32>} : () -> tensor<4x1x1x24xf32>
  %bp = "tosa.const"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %e = tosa.conv2d %x, %we, %be {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<24x1x1x4xf32>, tensor<24xf32>) -> tensor<1x8x8x24xf32>
  %e6 = tosa.clamp %e {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x8x8x24xf32>) -> tensor<1x8x8x24xf32>
  %d = tosa.depthwise_conv2d %e6, %wd, %bd {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x24xf32>, tensor<3x3x24x1xf32>, tensor<24xf32>) -> tensor<1x8x8x24xf32>
  %d6 = tosa.clamp %d {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x8x8x24xf32>) -> tensor<1x8x8x24xf32>
  %p = tosa.conv2d %d6, %wp, %bp {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x24xf32>, tensor<4x1x1x24xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %r = tosa.add %p, %x : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %r : tensor<1x8x8x4xf32>
}

// BlazeFace's block has no expand conv: depthwise (stride 2) then project.
// The 1x1 conv before the depthwise has a second user, so it stays apart.
// CHECK-LABEL: func.func @depthwise_project
// CHECK: %[[A:.*]] = kiln.kernel "conv2d_0"
// CHECK: %[[B:.*]] = kiln.kernel "block_conv2d_2"(%[[A]],
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: tosa.depthwise_conv2d
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: kiln.yield
// CHECK: return %[[B]], %[[A]]
func.func @depthwise_project(%x: tensor<1x16x16x4xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x16x16x24xf32>) {
  %we = "tosa.const"() {value = dense<0.1> : tensor<24x1x1x4xf32>} : () -> tensor<24x1x1x4xf32>
  %be = "tosa.const"() {value = dense<0.0> : tensor<24xf32>} : () -> tensor<24xf32>
  %wd = "tosa.const"() {value = dense<0.2> : tensor<5x5x24x1xf32>} : () -> tensor<5x5x24x1xf32>
  %bd = "tosa.const"() {value = dense<0.0> : tensor<24xf32>} : () -> tensor<24xf32>
  %wp = "tosa.const"() {value = dense<0.3> : tensor<8x1x1x24xf32>} : () -> tensor<8x1x1x24xf32>
  %bp = "tosa.const"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %e = tosa.conv2d %x, %we, %be {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x4xf32>, tensor<24x1x1x4xf32>, tensor<24xf32>) -> tensor<1x16x16x24xf32>
  %d = tosa.depthwise_conv2d %e, %wd, %bd {pad = array<i64: 1, 2, 1, 2>, stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x24xf32>, tensor<5x5x24x1xf32>, tensor<24xf32>) -> tensor<1x8x8x24xf32>
  %p = tosa.conv2d %d, %wp, %bp {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x24xf32>, tensor<8x1x1x24xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  return %p, %e : tensor<1x8x8x8xf32>, tensor<1x16x16x24xf32>
}

// A 3x3 conv after the depthwise is not a block's projection: no fusion.
// CHECK-LABEL: func.func @not_pointwise
// CHECK: kiln.kernel "depthwise_conv2d_0"
// CHECK: kiln.kernel "conv2d_1"
func.func @not_pointwise(%x: tensor<1x16x16x24xf32>) -> tensor<1x16x16x8xf32> {
  %wd = "tosa.const"() {value = dense<0.2> : tensor<3x3x24x1xf32>} : () -> tensor<3x3x24x1xf32>
  %bd = "tosa.const"() {value = dense<0.0> : tensor<24xf32>} : () -> tensor<24xf32>
  %wp = "tosa.const"() {value = dense<0.3> : tensor<8x3x3x24xf32>} : () -> tensor<8x3x3x24xf32>
  %bp = "tosa.const"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %d = tosa.depthwise_conv2d %x, %wd, %bd {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x24xf32>, tensor<3x3x24x1xf32>, tensor<24xf32>) -> tensor<1x16x16x24xf32>
  %p = tosa.conv2d %d, %wp, %bp {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x24xf32>, tensor<8x3x3x24xf32>, tensor<8xf32>) -> tensor<1x16x16x8xf32>
  return %p : tensor<1x16x16x8xf32>
}

// MobileNetV1's chain (depthwise -> 1x1 -> depthwise -> 1x1; TF.js faceres,
// faceres-deep, posenet): the first 1x1 conv is both the first block's
// project and the second block's expand. It joins the first block only; the
// second starts at its depthwise (fusing it twice crashed the pass).
// CHECK-LABEL: func.func @mobilenet_v1_chain
// CHECK: %[[A:.*]] = kiln.kernel "block_conv2d_1"(%arg0,
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: tosa.depthwise_conv2d
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: kiln.yield
// CHECK: %[[B:.*]] = kiln.kernel "block_conv2d_3"(%[[A]],
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: tosa.depthwise_conv2d
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: kiln.yield
// CHECK-NOT: kiln.kernel
// CHECK: return %[[B]]
func.func @mobilenet_v1_chain(%x: tensor<1x16x16x8xf32>) -> tensor<1x16x16x16xf32> {
  %wd1 = "tosa.const"() {value = dense<0.2> : tensor<3x3x8x1xf32>} : () -> tensor<3x3x8x1xf32>
  %bd1 = "tosa.const"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %wp1 = "tosa.const"() {value = dense<0.3> : tensor<16x1x1x8xf32>} : () -> tensor<16x1x1x8xf32>
  %bp1 = "tosa.const"() {value = dense<0.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %wd2 = "tosa.const"() {value = dense<0.4> : tensor<3x3x16x1xf32>} : () -> tensor<3x3x16x1xf32>
  %bd2 = "tosa.const"() {value = dense<0.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %wp2 = "tosa.const"() {value = dense<0.5> : tensor<16x1x1x16xf32>} : () -> tensor<16x1x1x16xf32>
  %bp2 = "tosa.const"() {value = dense<0.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %d1 = tosa.depthwise_conv2d %x, %wd1, %bd1 {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x8xf32>, tensor<3x3x8x1xf32>, tensor<8xf32>) -> tensor<1x16x16x8xf32>
  %p1 = tosa.conv2d %d1, %wp1, %bp1 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x8xf32>, tensor<16x1x1x8xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  %d2 = tosa.depthwise_conv2d %p1, %wd2, %bd2 {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x16xf32>, tensor<3x3x16x1xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  %p2 = tosa.conv2d %d2, %wp2, %bp2 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x16xf32>, tensor<16x1x1x16xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  return %p2 : tensor<1x16x16x16xf32>
}
