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
      expand_w: "0x040000008FC2F5BEEC5138BE8FC2F53D3D0AD73E9A9999BE000000009A99993E3D0AD7BE8FC2F5BDEC51383E8FC2F53E8FC275BE8FC2753DEC51B83EEC51B8BE8FC275BD8FC2753E8FC2F5BEEC5138BE8FC2F53D3D0AD73E9A9999BE000000009A99993E3D0AD7BE8FC2F5BDEC51383E8FC2F53E8FC275BE8FC2753DEC51B83EEC51B8BE",
      dw_w: "0x04000000CDCCCCBECDCC4CBD9A99993ECDCC4CBE9A99193E3333B3BE000000003333B33E9A9919BECDCC4C3E9A9999BECDCC4C3DCDCCCC3ECDCCCCBD0000803E000080BECDCCCC3DCDCCCCBECDCC4CBD9A99993ECDCC4CBE9A99193E3333B3BE000000003333B33E9A9919BECDCC4C3E9A9999BECDCC4C3DCDCCCC3ECDCCCCBD0000803E000080BECDCCCC3DCDCCCCBECDCC4CBD9A99993ECDCC4CBE9A99193E3333B3BE000000003333B33E9A9919BECDCC4C3E9A9999BECDCC4C3DCDCCCC3ECDCCCCBD0000803E000080BECDCCCC3DCDCCCCBECDCC4CBD9A99993ECDCC4CBE9A99193E3333B3BE000000003333B33E9A9919BECDCC4C3E9A9999BECDCC4C3DCDCCCC3ECDCCCCBD0000803E000080BECDCCCC3DCDCCCCBECDCC4CBD9A99993ECDCC4CBE",
      project_w: "0x040000000AD723BFCDCCCCBE0AD723BE0AD7A33D0AD7A33E295C0F3F295C0FBF0AD7A3BE0AD7A3BD0AD7233ECDCCCC3E0AD7233F8FC2F5BE8FC275BE000000008FC2753E8FC2F53E0AD723BFCDCCCCBE0AD723BE0AD7A33D0AD7A33E295C0F3F295C0FBF0AD7A3BE0AD7A3BD0AD7233ECDCCCC3E0AD7233F8FC2F5BE8FC275BE00000000"
    }
  }
#-}
