// RUN: kiln-opt %s --kiln-form-kernels | FileCheck %s

// A conv takes its single-use bias add and clamp with it; the constant weights
// stay outside as kernel inputs.
// CHECK-LABEL: func.func @conv_chain
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{value = dense<1.000000e+00> : tensor<4x1x1x3xf32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{value = dense<0.000000e+00> : tensor<4xf32>}>
// CHECK: %[[K:.*]] = kiln.kernel "conv2d_0"(%arg0, %[[W]], %[[B]], %arg1)
// CHECK-SAME: attributes {hash = "{{[0-9a-f]+}}"}
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: tosa.add
// CHECK-NEXT: tosa.clamp
// CHECK-NEXT: kiln.yield
// CHECK: return %[[K]]
func.func @conv_chain(%x: tensor<1x8x8x3xf32>, %skip: tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32> {
  %w = "tosa.const"() {value = dense<1.0> : tensor<4x1x1x3xf32>} : () -> tensor<4x1x1x3xf32>
  %b = "tosa.const"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %c = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %a = tosa.add %c, %skip : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %r = tosa.clamp %a {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %r : tensor<1x8x8x4xf32>
}

// A value with two users ends the chain: the add cannot be fused into both.
// Equal structure gives equal hashes, so the two clamps share one function.
// CHECK-LABEL: func.func @fan_out
// CHECK: %[[A:.*]] = kiln.kernel "add_0"(%arg0, %arg1) {{.*}} attributes {hash = "[[HA:[0-9a-f]+]]"}
// CHECK: kiln.kernel "clamp_1"(%[[A]]) {{.*}} attributes {hash = "[[HC:[0-9a-f]+]]"}
// CHECK: kiln.kernel "clamp_2"(%[[A]]) {{.*}} attributes {hash = "[[HC]]"}
func.func @fan_out(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = tosa.add %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r1 = tosa.clamp %a {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %r2 = tosa.clamp %a {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %r1, %r2 : tensor<4xf32>, tensor<4xf32>
}

// Data movement is a kernel of its own; an elementwise op does not pull in
// a reshape.
// CHECK-LABEL: func.func @movement
// CHECK: kiln.kernel "reshape_0"
// CHECK: kiln.kernel "sigmoid_1"
func.func @movement(%x: tensor<2x2xf32>) -> tensor<4xf32> {
  %r = tosa.reshape %x {new_shape = array<i64: 4>} : (tensor<2x2xf32>) -> tensor<4xf32>
  %s = tosa.sigmoid %r : (tensor<4xf32>) -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// BlazeFace's residual: the block input padded with zero channels (a concat)
// feeds only the add after the 1x1 conv, so the conv's kernel takes the
// concat with it, although the concat comes first in the block. The input
// itself has two users (the depthwise and the concat) and stays a value.
// CHECK-LABEL: func.func @absorb_channel_pad
// CHECK: %[[D:.*]] = kiln.kernel "depthwise_conv2d_0"(%arg0,
// CHECK: %[[C:.*]] = kiln.kernel "conv2d_1"(%arg0, %{{.*}}, %[[D]],
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: tosa.concat
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: tosa.add
// CHECK-NEXT: tosa.clamp
// CHECK-NEXT: kiln.yield
// CHECK-NOT: kiln.kernel
// CHECK: return %[[C]]
func.func @absorb_channel_pad(%x: tensor<1x8x8x4xf32>) -> tensor<1x8x8x6xf32> {
  %z = "tosa.const"() {value = dense<0.0> : tensor<1x8x8x2xf32>} : () -> tensor<1x8x8x2xf32>
  %wd = "tosa.const"() {value = dense<0.2> : tensor<3x3x4x1xf32>} : () -> tensor<3x3x4x1xf32>
  %bd = "tosa.const"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %wp = "tosa.const"() {value = dense<0.3> : tensor<6x1x1x4xf32>} : () -> tensor<6x1x1x4xf32>
  %bp = "tosa.const"() {value = dense<0.0> : tensor<6xf32>} : () -> tensor<6xf32>
  %skip = tosa.concat %x, %z {axis = 3 : i32} : (tensor<1x8x8x4xf32>, tensor<1x8x8x2xf32>) -> tensor<1x8x8x6xf32>
  %d = tosa.depthwise_conv2d %x, %wd, %bd {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<3x3x4x1xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %p = tosa.conv2d %d, %wp, %bp {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<6x1x1x4xf32>, tensor<6xf32>) -> tensor<1x8x8x6xf32>
  %a = tosa.add %p, %skip : (tensor<1x8x8x6xf32>, tensor<1x8x8x6xf32>) -> tensor<1x8x8x6xf32>
  %r = tosa.clamp %a {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x8x8x6xf32>) -> tensor<1x8x8x6xf32>
  return %r : tensor<1x8x8x6xf32>
}

// PReLU as the TF.js importer writes it reads the conv's result three times
// (x * alpha, x >= 0, the select); the three join in the select, so the
// conv's kernel takes them all and x stays inside it.
// CHECK-LABEL: func.func @prelu_joins
// CHECK: %[[K:.*]] = kiln.kernel "conv2d_0"
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: tosa.mul
// CHECK-NEXT: tosa.greater_equal
// CHECK-NEXT: tosa.select
// CHECK-NEXT: kiln.yield
// CHECK-NOT: kiln.kernel
// CHECK: return %[[K]]
func.func @prelu_joins(%x: tensor<1x8x8x3xf32>) -> tensor<1x8x8x4xf32> {
  %w = "tosa.const"() {value = dense<1.0> : tensor<4x1x1x3xf32>} : () -> tensor<4x1x1x3xf32>
  %b = "tosa.const"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %alpha = "tosa.const"() {value = dense<0.25> : tensor<1x1x1x4xf32>} : () -> tensor<1x1x1x4xf32>
  %zero = "tosa.const"() {value = dense<0.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %c = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %m = tosa.mul %c, %alpha {shift = 0 : i8} : (tensor<1x8x8x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x8x8x4xf32>
  %g = tosa.greater_equal %c, %zero : (tensor<1x8x8x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x8x8x4xi1>
  %s = tosa.select %g, %c, %m : (tensor<1x8x8x4xi1>, tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %s : tensor<1x8x8x4xf32>
}

// The same, but x * alpha is also a result of the function: the uses do not
// join into one value, so the conv's kernel ends at the conv (and the
// multiply and the select are kernels of their own).
// CHECK-LABEL: func.func @prelu_escapes
// CHECK: %[[C:.*]] = kiln.kernel "conv2d_0"
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: tosa.conv2d
// CHECK-NEXT: kiln.yield
// CHECK: %[[M:.*]] = kiln.kernel "mul_1"(%[[C]]
// CHECK: %[[S:.*]] = kiln.kernel "greater_equal_2"(%[[C]], %{{.*}}, %[[M]])
// CHECK: return %[[S]], %[[M]]
func.func @prelu_escapes(%x: tensor<1x8x8x3xf32>) -> (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) {
  %w = "tosa.const"() {value = dense<1.0> : tensor<4x1x1x3xf32>} : () -> tensor<4x1x1x3xf32>
  %b = "tosa.const"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %alpha = "tosa.const"() {value = dense<0.25> : tensor<1x1x1x4xf32>} : () -> tensor<1x1x1x4xf32>
  %zero = "tosa.const"() {value = dense<0.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %c = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %m = tosa.mul %c, %alpha {shift = 0 : i8} : (tensor<1x8x8x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x8x8x4xf32>
  %g = tosa.greater_equal %c, %zero : (tensor<1x8x8x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x8x8x4xi1>
  %s = tosa.select %g, %c, %m : (tensor<1x8x8x4xi1>, tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %s, %m : tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>
}
