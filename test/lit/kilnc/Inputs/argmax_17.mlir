// An argmax over 2304 rows of 17 channels, as MoveNet takes the peak of
// each of its 17 keypoint heatmaps (autoschedule_argmax.test).
func.func @main(%x: tensor<1x2304x17xf32> {kiln.name = "x"}) -> (tensor<1x17xi32> {kiln.name = "y"}) {
  %y = tosa.argmax %x {axis = 1 : i32} : (tensor<1x2304x17xf32>) -> tensor<1x17xi32>
  return %y : tensor<1x17xi32>
}
