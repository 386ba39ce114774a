// A one-kernel model at phase kernels: y = max(x + x, 0).
func.func @main(%x: tensor<2x3xf32> {kiln.name = "x/in"}) -> (tensor<2x3xf32> {kiln.name = "y"}) {
  %0 = kiln.kernel "add_relu" (%x) : (tensor<2x3xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x3xf32>):
    %1 = tosa.add %a, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    %2 = tosa.clamp %1 {min_fp = 0.0 : f32, max_fp = 3.4e38 : f32, min_int = 0 : i64, max_int = 2147483647 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
    kiln.yield %2 : tensor<2x3xf32>
  }
  return %0 : tensor<2x3xf32>
}
