func.func @main(%x: tensor<1x1024x1024x4xf32> {kiln.name = "x"}) -> (tensor<1x1024x1024x4xf32> {kiln.name = "y"}) {
  %we = "tosa.const"() {value = dense<0.1> : tensor<1024x1x1x4xf32>} : () -> tensor<1024x1x1x4xf32>
  %be = "tosa.const"() {value = dense<0.0> : tensor<1024xf32>} : () -> tensor<1024xf32>
  %wd = "tosa.const"() {value = dense<0.2> : tensor<3x3x1024x1xf32>} : () -> tensor<3x3x1024x1xf32>
  %bd = "tosa.const"() {value = dense<0.0> : tensor<1024xf32>} : () -> tensor<1024xf32>
  %wp = "tosa.const"() {value = dense<0.3> : tensor<4x1x1x1024xf32>} : () -> tensor<4x1x1x1024xf32>
  %bp = "tosa.const"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %e = tosa.conv2d %x, %we, %be {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1024x1024x4xf32>, tensor<1024x1x1x4xf32>, tensor<1024xf32>) -> tensor<1x1024x1024x1024xf32>
  %d = tosa.depthwise_conv2d %e, %wd, %bd {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1024x1024x1024xf32>, tensor<3x3x1024x1xf32>, tensor<1024xf32>) -> tensor<1x1024x1024x1024xf32>
  %p = tosa.conv2d %d, %wp, %bp {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1024x1024x1024xf32>, tensor<4x1x1x1024xf32>, tensor<4xf32>) -> tensor<1x1024x1024x4xf32>
  return %p : tensor<1x1024x1024x4xf32>
}
