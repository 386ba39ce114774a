// A model with a float32 weight: --fp16-storage stores it as float16
// (a value beyond 65504 is refused, see options.test).
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = "tosa.const"() {value = dense<[[1.5, -2.0, 3.0e5, 0.25]]> : tensor<1x4xf32>} : () -> tensor<1x4xf32>
  %m = tosa.mul %x, %w {shift = 0 : i8} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %m : tensor<1x4xf32>
}
