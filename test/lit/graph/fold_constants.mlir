// RUN: kiln-opt %s --split-input-file --kiln-fold-constants | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-fold-constants=max-elements=4 | FileCheck %s --check-prefix=LIMIT

// Binary ops broadcast numpy-style; float math rounds once to f32.
// CHECK-LABEL: func.func @float_math
// CHECK-DAG: dense<{{\[\[}}1.100000e+01, 2.100000e+01, 3.100000e+01], [1.200000e+01, 2.200000e+01, 3.200000e+01]]> : tensor<2x3xf32>
// CHECK-DAG: dense<[1.000000e+00, 5.000000e-01, 2.000000e+00]> : tensor<3xf32>
// CHECK-DAG: dense<[4.000000e+00, 2.700000e+01]> : tensor<2xf32>
// CHECK-DAG: dense<[5.000000e-01, 0.333333343]> : tensor<2xf32>
// CHECK-DAG: dense<[-2.000000e+00, -3.000000e+00]> : tensor<2xf32>
// CHECK-DAG: dense<[7.3890562, 20.085537]> : tensor<2xf32>
// CHECK-DAG: dense<[0.693147182, 1.09861231]> : tensor<2xf32>
// CHECK-DAG: dense<[2.000000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK-NOT: tosa.{{add|rsqrt|pow|reciprocal|negate|exp|log|clamp}}
// CHECK: return
func.func @float_math() -> (tensor<2x3xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %a = "tosa.const"() <{value = dense<[[1.0], [2.0]]> : tensor<2x1xf32>}> : () -> tensor<2x1xf32>
  %b = "tosa.const"() <{value = dense<[[10.0, 20.0, 30.0]]> : tensor<1x3xf32>}> : () -> tensor<1x3xf32>
  %c = "tosa.const"() <{value = dense<[1.0, 4.0, 0.25]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %d = "tosa.const"() <{value = dense<[2.0, 3.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %0 = tosa.add %a, %b : (tensor<2x1xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %1 = tosa.rsqrt %c : (tensor<3xf32>) -> tensor<3xf32>
  %2 = tosa.pow %d, %d : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %3 = tosa.reciprocal %d : (tensor<2xf32>) -> tensor<2xf32>
  %4 = tosa.negate %d : (tensor<2xf32>) -> tensor<2xf32>
  %5 = tosa.exp %d : (tensor<2xf32>) -> tensor<2xf32>
  %6 = tosa.log %d : (tensor<2xf32>) -> tensor<2xf32>
  %7 = tosa.clamp %d {min_fp = 0.0 : f32, max_fp = 2.5 : f32, min_int = 0 : i64, max_int = 2 : i64} : (tensor<2xf32>) -> tensor<2xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<2x3xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}

// -----

// Casts: float to int rounds to nearest even and saturates; int to float is
// exact here; anything nonzero is true.
// CHECK-LABEL: func.func @casts
// CHECK-DAG: dense<[2, -2, 4, 0]> : tensor<4xi32>
// CHECK-DAG: dense<[127, -128, 3, 0]> : tensor<4xi8>
// CHECK-DAG: dense<[true, true, false, true]> : tensor<4xi1>
// CHECK-DAG: dense<[1.000000e+00, -2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK-NOT: tosa.cast
func.func @casts() -> (tensor<4xi32>, tensor<4xi8>, tensor<4xi1>, tensor<3xf32>) {
  %f = "tosa.const"() <{value = dense<[2.5, -1.5, 3.7, -0.2]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %g = "tosa.const"() <{value = dense<[300.0, -300.0, 3.0, 0.0]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %h = "tosa.const"() <{value = dense<[1.0, -0.5, 0.0, 7.0]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %i = "tosa.const"() <{value = dense<[1, -2, 3]> : tensor<3xi32>}> : () -> tensor<3xi32>
  %0 = tosa.cast %f : (tensor<4xf32>) -> tensor<4xi32>
  %1 = tosa.cast %g : (tensor<4xf32>) -> tensor<4xi8>
  %2 = tosa.cast %h : (tensor<4xf32>) -> tensor<4xi1>
  %3 = tosa.cast %i : (tensor<3xi32>) -> tensor<3xf32>
  return %0, %1, %2, %3 : tensor<4xi32>, tensor<4xi8>, tensor<4xi1>, tensor<3xf32>
}

// -----

// Integer math wraps at the type's width; int_div truncates toward zero and
// a division by zero is left for run time.
// CHECK-LABEL: func.func @integers
// CHECK-DAG: dense<[-128, 0]> : tensor<2xi8>
// CHECK-DAG: dense<[3, -3]> : tensor<2xi32>
// CHECK-DAG: dense<[5, 9]> : tensor<2xi32>
// CHECK: tosa.int_div
// CHECK-NOT: tosa.add
// CHECK-NOT: tosa.maximum
func.func @integers() -> (tensor<2xi8>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) {
  %a = "tosa.const"() <{value = dense<[127, -1]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %one = "tosa.const"() <{value = dense<1> : tensor<2xi8>}> : () -> tensor<2xi8>
  %n = "tosa.const"() <{value = dense<[7, -7]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %two = "tosa.const"() <{value = dense<2> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zero = "tosa.const"() <{value = dense<[1, 0]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %m = "tosa.const"() <{value = dense<[5, 3]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %k = "tosa.const"() <{value = dense<[1, 9]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %0 = tosa.add %a, %one : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  %1 = tosa.int_div %n, %two : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %2 = tosa.int_div %n, %zero : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %3 = tosa.maximum %m, %k : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return %0, %1, %2, %3 : tensor<2xi8>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>
}

// -----

// Weights stored as blobs fold too: a transpose and a reshape of a
// dense_resource [4, 5] (0..19) give new blobs; elementwise math on them too.
// CHECK-LABEL: func.func @resources
// CHECK-DAG: dense_resource<[[T:.*]]> : tensor<5x4xf32>
// CHECK-DAG: dense_resource<[[R:.*]]> : tensor<20xf32>
// CHECK-DAG: dense_resource<[[M:.*]]> : tensor<4x5xf32>
// CHECK-NOT: tosa.transpose
// CHECK-NOT: tosa.reshape
// CHECK-NOT: tosa.mul
// Transposed: 0, 5, 10, 15, 1, ...
// CHECK-DAG: [[T]]: "0x04000000000000000000A0400000204100007041
// Reshaped: unchanged bytes.
// CHECK-DAG: [[R]]: "0x04000000000000000000803F0000004000004040
// Doubled: 0, 2, 4, 6.
// CHECK-DAG: [[M]]: "0x040000000000000000000040000080400000C040
func.func @resources() -> (tensor<5x4xf32>, tensor<20xf32>, tensor<4x5xf32>) {
  %w = "tosa.const"() <{value = dense_resource<iota> : tensor<4x5xf32>}> : () -> tensor<4x5xf32>
  %p = "tosa.const"() <{value = dense<[1, 0]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %two = "tosa.const"() <{value = dense<2.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %0 = tosa.transpose %w, %p : (tensor<4x5xf32>, tensor<2xi32>) -> tensor<5x4xf32>
  %1 = tosa.reshape %w {new_shape = array<i64: 20>} : (tensor<4x5xf32>) -> tensor<20xf32>
  %2 = tosa.mul %w, %two {shift = 0 : i8} : (tensor<4x5xf32>, tensor<1x1xf32>) -> tensor<4x5xf32>
  return %0, %1, %2 : tensor<5x4xf32>, tensor<20xf32>, tensor<4x5xf32>
}
{-#
  dialect_resources: {
    builtin: {
      iota: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E040000000410000104100002041000030410000404100005041000060410000704100008041000088410000904100009841"
    }
  }
#-}

// -----

// A broadcast that grows past max-elements stays an op; one that is no larger
// than its largest operand always folds. Non-constant operands never fold.
// CHECK-LABEL: func.func @limits
// CHECK-NOT: tosa.add
// CHECK: tosa.sub %arg0
// LIMIT-LABEL: func.func @limits
// LIMIT: tosa.add
// LIMIT-NOT: tosa.add
// LIMIT: tosa.sub %arg0
func.func @limits(%x: tensor<1x4xf32>) -> (tensor<4x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %col = "tosa.const"() <{value = dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>}> : () -> tensor<4x1xf32>
  %row = "tosa.const"() <{value = dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>}> : () -> tensor<1x4xf32>
  %one = "tosa.const"() <{value = dense<1.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %0 = tosa.add %col, %row : (tensor<4x1xf32>, tensor<1x4xf32>) -> tensor<4x4xf32>
  %1 = tosa.add %row, %one : (tensor<1x4xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
  %2 = tosa.sub %x, %row : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0, %1, %2 : tensor<4x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}
