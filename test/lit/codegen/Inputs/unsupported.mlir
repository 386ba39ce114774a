func.func @main(%x: tensor<2x3xi32> {kiln.name = "x"}) -> (tensor<2x3xi32> {kiln.name = "y"}) {
  %0 = kiln.kernel "clz" (%x) : (tensor<2x3xi32>) -> tensor<2x3xi32> {
  ^bb0(%a: tensor<2x3xi32>):
    %1 = tosa.clz %a : (tensor<2x3xi32>) -> tensor<2x3xi32>
    kiln.yield %1 : tensor<2x3xi32>
  }
  return %0 : tensor<2x3xi32>
}
