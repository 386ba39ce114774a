func.func @main(%x: tensor<1x4xf32>) -> tensor<4xf32> {
  %z = "tosa.const"() {value = dense<0.0> : tensor<1x4xf32>} : () -> tensor<1x4xf32>
  %s = tosa.add %x, %z : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %r1 = tosa.reshape %s {new_shape = array<i64: 2, 2>} : (tensor<1x4xf32>) -> tensor<2x2xf32>
  %r2 = tosa.reshape %r1 {new_shape = array<i64: 4>} : (tensor<2x2xf32>) -> tensor<4xf32>
  %e = tosa.exp %r2 : (tensor<4xf32>) -> tensor<4xf32>
  return %e : tensor<4xf32>
}
