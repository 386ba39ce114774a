// A MobileNetV2 inverted-residual block in the ONNX importer's form: NCHW
// tensors, every NHWC op wrapped in transposes, BatchNorm as a per-channel
// mul + add with [1,C,1,1] constants, large weights as dense_resource blobs.
// expand 1x1 (4 -> 8) + BN + relu6, depthwise 3x3 + BN + relu6,
// project 1x1 (8 -> 4) + BN, residual add.
func.func @main(%x: tensor<1x4x8x8xf32> {kiln.name = "input"}) -> (tensor<1x4x8x8xf32> {kiln.name = "output"}) {
  %nhwc = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %w1 = "tosa.const"() <{value = dense_resource<expand_w> : tensor<8x1x1x4xf32>}> : () -> tensor<8x1x1x4xf32>
  %b1 = "tosa.const"() <{value = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %s1 = "tosa.const"() <{value = dense<[[[[1.0]], [[1.1]], [[1.2]], [[1.3]], [[1.4]], [[1.5]], [[1.6]], [[1.7000000000000002]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
  %t1 = "tosa.const"() <{value = dense<[[[[-0.2]], [[-0.15000000000000002]], [[-0.1]], [[-0.04999999999999999]], [[0.0]], [[0.04999999999999999]], [[0.10000000000000003]], [[0.15000000000000002]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
  %w2 = "tosa.const"() <{value = dense_resource<dw_w> : tensor<3x3x8x1xf32>}> : () -> tensor<3x3x8x1xf32>
  %b2 = "tosa.const"() <{value = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %s2 = "tosa.const"() <{value = dense<[[[[0.9]], [[0.85]], [[0.8]], [[0.75]], [[0.7]], [[0.65]], [[0.6]], [[0.55]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
  %t2 = "tosa.const"() <{value = dense<[[[[0.1]], [[0.08]], [[0.060000000000000005]], [[0.04000000000000001]], [[0.020000000000000004]], [[0.0]], [[-0.01999999999999999]], [[-0.04000000000000001]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
  %w3 = "tosa.const"() <{value = dense_resource<project_w> : tensor<4x1x1x8xf32>}> : () -> tensor<4x1x1x8xf32>
  %b3 = "tosa.const"() <{value = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %s3 = "tosa.const"() <{value = dense<[[[[1.2]], [[1.0999999999999999]], [[1.0]], [[0.8999999999999999]]]]> : tensor<1x4x1x1xf32>}> : () -> tensor<1x4x1x1xf32>
  %t3 = "tosa.const"() <{value = dense<[[[[0.0]], [[0.03]], [[0.06]], [[0.09]]]]> : tensor<1x4x1x1xf32>}> : () -> tensor<1x4x1x1xf32>

  %0 = tosa.transpose %x, %nhwc : (tensor<1x4x8x8xf32>, tensor<4xi32>) -> tensor<1x8x8x4xf32>
  %1 = tosa.conv2d %0, %w1, %b1 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<8x1x1x4xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %2 = tosa.transpose %1, %nchw : (tensor<1x8x8x8xf32>, tensor<4xi32>) -> tensor<1x8x8x8xf32>
  %3 = tosa.mul %2, %s1 {shift = 0 : i8} : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  %4 = tosa.add %3, %t1 : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  %5 = tosa.clamp %4 {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>

  %6 = tosa.transpose %5, %nhwc : (tensor<1x8x8x8xf32>, tensor<4xi32>) -> tensor<1x8x8x8xf32>
  %7 = tosa.depthwise_conv2d %6, %w2, %b2 {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x8xf32>, tensor<3x3x8x1xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %8 = tosa.transpose %7, %nchw : (tensor<1x8x8x8xf32>, tensor<4xi32>) -> tensor<1x8x8x8xf32>
  %9 = tosa.mul %8, %s2 {shift = 0 : i8} : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  %10 = tosa.add %9, %t2 : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  %11 = tosa.clamp %10 {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>

  %12 = tosa.transpose %11, %nhwc : (tensor<1x8x8x8xf32>, tensor<4xi32>) -> tensor<1x8x8x8xf32>
  %13 = tosa.conv2d %12, %w3, %b3 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x8xf32>, tensor<4x1x1x8xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %14 = tosa.transpose %13, %nchw : (tensor<1x8x8x4xf32>, tensor<4xi32>) -> tensor<1x4x8x8xf32>
  %15 = tosa.mul %14, %s3 {shift = 0 : i8} : (tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %16 = tosa.add %15, %t3 : (tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %17 = tosa.add %16, %x : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %17 : tensor<1x4x8x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      expand_w: "0x04000000CDCCCCBE9A9919BECDCCCC3D3333B33E000080BE000000000000803E3333B3BECDCCCCBD9A99193ECDCCCC3ECDCC4CBECDCC4C3D9A99993E9A9999BECDCC4CBDCDCC4C3ECDCCCCBE9A9919BECDCCCC3D3333B33E000080BE000000000000803E3333B3BECDCCCCBD9A99193ECDCCCC3ECDCC4CBECDCC4C3D9A99993E9A9999BE",
      dw_w: "0x040000008FC275BE8FC2F5BCEC51383E8FC2F5BDEC51B83D3D0A57BE000000003D0A573EEC51B8BD8FC2F53DEC5138BE8FC2F53C8FC2753E8FC275BD9A99193E9A9919BE8FC2753D8FC275BE8FC2F5BCEC51383E8FC2F5BDEC51B83D3D0A57BE000000003D0A573EEC51B8BD8FC2F53DEC5138BE8FC2F53C8FC2753E8FC275BD9A99193E9A9919BE8FC2753D8FC275BE8FC2F5BCEC51383E8FC2F5BDEC51B83D3D0A57BE000000003D0A573EEC51B8BD8FC2F53DEC5138BE8FC2F53C8FC2753E8FC275BD9A99193E9A9919BE8FC2753D8FC275BE8FC2F5BCEC51383E8FC2F5BDEC51B83D3D0A57BE000000003D0A573EEC51B8BD8FC2F53DEC5138BE8FC2F53C8FC2753E8FC275BD9A99193E9A9919BE8FC2753D8FC275BE8FC2F5BCEC51383E8FC2F5BD",
      project_w: "0x040000000AD7A3BECDCC4CBE0AD7A3BD0AD7233D0AD7233E295C8F3E295C8FBE0AD723BE0AD723BD0AD7A33DCDCC4C3E0AD7A33E8FC275BE8FC2F5BD000000008FC2F53D8FC2753E0AD7A3BECDCC4CBE0AD7A3BD0AD7233D0AD7233E295C8F3E295C8FBE0AD723BE0AD723BD0AD7A33DCDCC4C3E0AD7A33E8FC275BE8FC2F5BD00000000"
    }
  }
#-}
