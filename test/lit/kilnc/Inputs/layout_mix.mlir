// Layout-agnostic ops between NHWC ops in the ONNX importer's form, for
// graph_numerics.test: a concat with a constant along channels, a pad of H
// and W, a max pool, a softmax over channels (reduce_max, sub, exp,
// reduce_sum, reciprocal, mul) and a detection-head flatten
// ([1,C,H,W] -> [1,C,H*W] -> [1,H*W,C]).
func.func @main(%x: tensor<1x2x6x6xf32>) -> (tensor<1x5x4x4xf32>, tensor<1x36x3xf32>) {
  %nhwc = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %p021 = "tosa.const"() <{value = dense<[0, 2, 1]> : tensor<3xi32>}> : () -> tensor<3xi32>
  %w = "tosa.const"() <{value = dense_resource<conv_w> : tensor<3x3x3x2xf32>}> : () -> tensor<3x3x3x2xf32>
  %b = "tosa.const"() <{value = dense<[0.1, -0.2, 0.3]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %c = "tosa.const"() <{value = dense_resource<cat_c> : tensor<1x2x6x6xf32>}> : () -> tensor<1x2x6x6xf32>
  %pads = "tosa.const"() <{value = dense<[[0, 0], [0, 0], [1, 0], [0, 1]]> : tensor<4x2xi32>}> : () -> tensor<4x2xi32>
  %0 = tosa.transpose %x, %nhwc : (tensor<1x2x6x6xf32>, tensor<4xi32>) -> tensor<1x6x6x2xf32>
  %1 = tosa.conv2d %0, %w, %b {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x6x6x2xf32>, tensor<3x3x3x2xf32>, tensor<3xf32>) -> tensor<1x6x6x3xf32>
  %2 = tosa.transpose %1, %nchw : (tensor<1x6x6x3xf32>, tensor<4xi32>) -> tensor<1x3x6x6xf32>
  %3 = tosa.concat %2, %c {axis = 1 : i32} : (tensor<1x3x6x6xf32>, tensor<1x2x6x6xf32>) -> tensor<1x5x6x6xf32>
  %4 = tosa.pad %3, %pads : (tensor<1x5x6x6xf32>, tensor<4x2xi32>) -> tensor<1x5x7x7xf32>
  %5 = tosa.transpose %4, %nhwc : (tensor<1x5x7x7xf32>, tensor<4xi32>) -> tensor<1x7x7x5xf32>
  %6 = tosa.max_pool2d %5 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>} : (tensor<1x7x7x5xf32>) -> tensor<1x4x4x5xf32>
  %7 = tosa.transpose %6, %nchw : (tensor<1x4x4x5xf32>, tensor<4xi32>) -> tensor<1x5x4x4xf32>
  %8 = tosa.reduce_max %7 {axis = 1 : i32} : (tensor<1x5x4x4xf32>) -> tensor<1x1x4x4xf32>
  %9 = tosa.sub %7, %8 : (tensor<1x5x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x5x4x4xf32>
  %10 = tosa.exp %9 : (tensor<1x5x4x4xf32>) -> tensor<1x5x4x4xf32>
  %11 = tosa.reduce_sum %10 {axis = 1 : i32} : (tensor<1x5x4x4xf32>) -> tensor<1x1x4x4xf32>
  %12 = tosa.reciprocal %11 : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %13 = tosa.mul %10, %12 {shift = 0 : i8} : (tensor<1x5x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x5x4x4xf32>
  %14 = tosa.reshape %2 {new_shape = array<i64: 1, 3, 36>} : (tensor<1x3x6x6xf32>) -> tensor<1x3x36xf32>
  %15 = tosa.transpose %14, %p021 : (tensor<1x3x36xf32>, tensor<3xi32>) -> tensor<1x36x3xf32>
  return %13, %15 : tensor<1x5x4x4xf32>, tensor<1x36x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      conv_w: "0x040000005C8FC2BD8FC2F53D8716593FDF4F8DBD6F12833C3333333E378921BFA69BC43CB81E853E1904163F3BDF4FBF4C37C9BEFCA951BFC9761E3FDD24C63EFA7E6ABFB4C8763F7B146E3F2DB29D3E448B6C3E295C2FBFEC5178BFD578693D378961BF52B81EBF931804BFD7A370BFBC7493BD46B6F3BD295C2F3FE3A51B3D3BDF8F3E000000806666A63E7B14AEBDF853E3BE52B87E3F2DB27D3F7B142E3FF4FDD43E91EDBCBEFA7E0ABF6210D8BEF6285CBFB072083FA8C64BBE7368313FB07268BEFA7E6A3F85EB313F77BE7FBF6ABC14BF0E2D523F8FC275BD",
      cat_c: "0x040000001904763F85EB51BEBE9F5ABFA69B843E8D970E3F1F85EBBEBC7453BF1F85ABBE68916D3F9318043F819543BFC1CA01BFBA494CBFAE4761BF6210183FB81E25BF46B6F33D3D0AD7BDC9761EBF6891ED3E91ED3CBFAAF1923E1D5A44BFC1CA21BEAAF112BF1F85EBBEE926713F5A641B3F39B4C8BEB81E453F583914BF621058BE0681353F7368913E448B4CBFBE9F7A3FAAF112BFC74BF7BE1F850B3FA01AAFBE4E62D0BE355E5ABF85EB51BFC3F5283E819503BF3BDF4F3E819583BE1283C0BD0C026B3F022B07BD7593183EE3A53B3FD34D22BFE92631BFE926513FE5D0223F894100BF52B81EBF7D3FF53E3789613F5A641BBF6666663F8195433FCFF7533E9CC420BE83C04ABFBA496CBFCDCC6C3F54E305BF7368D13EFED4F8BECBA1253F"
    }
  }
#-}
