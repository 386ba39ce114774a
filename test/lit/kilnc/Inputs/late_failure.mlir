// Compiles through the schedules phase, then fails in codegen at its
// second kernel: Kiln has no Halide emitter for tosa.clz. For
// atomic_output.test: a compile that fails after writing object files.
func.func @main(%x: tensor<1x4xf32> {kiln.name = "x"}, %n: tensor<4xi32> {kiln.name = "n"})
    -> (tensor<1x4xf32> {kiln.name = "y"}, tensor<4xi32> {kiln.name = "z"}) {
  %e = tosa.exp %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %c = tosa.clz %n : (tensor<4xi32>) -> tensor<4xi32>
  return %e, %c : tensor<1x4xf32>, tensor<4xi32>
}
