// A value in the middle of a graph whose element count (2^64 + 2^32)
// overflows 64 bits: a splat constant, negated.
func.func @main(%x: tensor<1xf32> {kiln.name = "x"}) -> (tensor<4294967296x4294967297xf32> {kiln.name = "y"}) {
  %b = "tosa.const"() {value = dense<1.0> : tensor<4294967296x4294967297xf32>} : () -> tensor<4294967296x4294967297xf32>
  %n = tosa.negate %b : (tensor<4294967296x4294967297xf32>) -> tensor<4294967296x4294967297xf32>
  return %n : tensor<4294967296x4294967297xf32>
}
