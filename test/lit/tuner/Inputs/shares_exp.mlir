// A second model for shared_kernel.test: its first kernel, exp over
// tensor<4xf32>, is the same kernel as add.mlir's second (same body, shape
// and type: one kernel identity); its second (a reshape to 2x2) is its own.
func.func @main(%x: tensor<4xf32>) -> tensor<2x2xf32> {
  %e = tosa.exp %x : (tensor<4xf32>) -> tensor<4xf32>
  %r = tosa.reshape %e {new_shape = array<i64: 2, 2>} : (tensor<4xf32>) -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}
