//===- DataMovementTest.cpp - reshape, transpose, concat, pad... via JIT --===//
//
// Data movement is exact: every output must equal the input element the
// reference index mapping names.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

using namespace kiln::codegen;
using namespace kiln::jit;
using kiln::DType;
using namespace kiln::codegen::testing;

namespace {

class DataMovementTest : public CodegenTest {
protected:
  // Runs a one-op kernel on `in` and checks out[i] == in[map(i)] (or `fill`
  // where map returns -1).
  void check(const std::string &ir, const std::vector<HostTensor> &inputs,
             const std::vector<int64_t> &outShape,
             const std::function<int64_t(const std::vector<int64_t> &)> &map, float fill = 0) {
    auto got = run(ir, inputs);
    ASSERT_EQ(got.size(), 1u);
    std::vector<float> want;
    std::vector<int64_t> idx(outShape.size(), 0);
    HostTensor out = HostTensor::zeros("o", DType::F32, outShape);
    for (int64_t n = 0; n < out.numElements(); ++n) {
      int64_t src = map(idx);
      want.push_back(src < 0 ? fill : inputs[0].as<float>()[src]);
      for (int d = static_cast<int>(idx.size()) - 1; d >= 0; --d) {
        if (++idx[d] < outShape[d])
          break;
        idx[d] = 0;
      }
    }
    expectClose(got[0], want, 0, 0);
  }
};

TEST_F(DataMovementTest, ReshapeKeepsRowMajorOrder) {
  std::vector<int64_t> in = {2, 3, 4};
  HostTensor x = randomF32(in, 51);
  for (std::vector<int64_t> out :
       std::vector<std::vector<int64_t>>{{6, 4}, {4, 6}, {24}, {1, 2, 12}, {3, 8}, {2, 1, 3, 4}}) {
    SCOPED_TRACE(shapeString(out));
    std::string attr = "array<i64: ";
    for (size_t i = 0; i < out.size(); ++i)
      attr += (i ? ", " : "") + std::to_string(out[i]);
    std::string ir = kernelModel({{tensorType(in)}},
                                 "    %r = tosa.reshape %b0 {new_shape = " + attr + ">} : (" +
                                     tensorType(in) + ") -> " + tensorType(out),
                                 tensorType(out));
    check(ir, {x}, out, [&](const std::vector<int64_t> &i) { return flatIndex(out, i); });
  }
}

TEST_F(DataMovementTest, TransposeWithConstantPerms) {
  std::vector<int64_t> in = {1, 3, 4, 5}, out = {1, 5, 3, 4};
  HostTensor x = randomF32(in, 52);
  // NHWC -> NCHW, as the importer wraps the model's interface.
  std::string ir =
      kernelModel({{tensorType(in)}, {"tensor<4xi32>", "dense<[0, 3, 1, 2]> : tensor<4xi32>"}},
                  "    %r = tosa.transpose %b0, %b1 : (" + tensorType(in) + ", tensor<4xi32>) -> " +
                      tensorType(out),
                  tensorType(out));
  check(ir, {x}, out, [&](const std::vector<int64_t> &i) {
    return flatIndex(in, {i[0], i[2], i[3], i[1]});
  });
}

TEST_F(DataMovementTest, ConcatSliceTileReverse) {
  std::vector<int64_t> sa = {2, 3, 4}, sb = {2, 5, 4};
  HostTensor a = randomF32(sa, 53), b = randomF32(sb, 54);
  std::vector<int64_t> so = {2, 8, 4};
  std::string ir =
      kernelModel({{tensorType(sa)}, {tensorType(sb)}},
                  "    %r = tosa.concat %b0, %b1 {axis = 1 : i32} : (" + tensorType(sa) + ", " +
                      tensorType(sb) + ") -> " + tensorType(so),
                  tensorType(so));
  // Concatenate the two inputs into one reference tensor.
  HostTensor both = HostTensor::zeros("ab", DType::F32, so);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 8; ++j)
      for (int64_t k = 0; k < 4; ++k)
        both.as<float>()[flatIndex(so, {i, j, k})] =
            j < 3 ? a.as<float>()[flatIndex(sa, {i, j, k})]
                  : b.as<float>()[flatIndex(sb, {i, j - 3, k})];
  auto got = run(ir, {a, b});
  ASSERT_EQ(got.size(), 1u);
  expectClose(got[0], std::vector<float>(both.as<float>(), both.as<float>() + 64), 0, 0);

  std::vector<int64_t> in = {3, 6, 5};
  HostTensor x = randomF32(in, 55);
  std::string slice = kernelModel(
      {{tensorType(in)}},
      "    %r = tosa.slice %b0 {start = array<i64: 1, 2, 0>, size = array<i64: 2, 3, 5>} : (" +
          tensorType(in) + ") -> tensor<2x3x5xf32>",
      "tensor<2x3x5xf32>");
  check(slice, {x}, {2, 3, 5}, [&](const std::vector<int64_t> &i) {
    return flatIndex(in, {i[0] + 1, i[1] + 2, i[2]});
  });
  std::string tile = kernelModel({{tensorType(in)}},
                                 "    %r = tosa.tile %b0 {multiples = array<i64: 2, 1, 3>} : (" +
                                     tensorType(in) + ") -> tensor<6x6x15xf32>",
                                 "tensor<6x6x15xf32>");
  check(tile, {x}, {6, 6, 15}, [&](const std::vector<int64_t> &i) {
    return flatIndex(in, {i[0] % 3, i[1], i[2] % 5});
  });
  std::string reverse = kernelModel({{tensorType(in)}},
                                    "    %r = tosa.reverse %b0 {axis = 1 : i32} : (" +
                                        tensorType(in) + ") -> " + tensorType(in),
                                    tensorType(in));
  check(reverse, {x}, in, [&](const std::vector<int64_t> &i) {
    return flatIndex(in, {i[0], 5 - i[1], i[2]});
  });
}

TEST_F(DataMovementTest, PadWithConstantValue) {
  std::vector<int64_t> in = {1, 3, 4, 2}, out = {1, 6, 5, 2};
  HostTensor x = randomF32(in, 56);
  std::string ir =
      kernelModel({{tensorType(in)},
                   {"tensor<4x2xi32>", "dense<[[0, 0], [1, 2], [0, 1], [0, 0]]> : tensor<4x2xi32>"},
                   {"tensor<f32>", "dense<-7.5> : tensor<f32>"}},
                  "    %r = tosa.pad %b0, %b1, %b2 : (" + tensorType(in) +
                      ", tensor<4x2xi32>, tensor<f32>) -> " + tensorType(out),
                  tensorType(out));
  check(
      ir, {x}, out,
      [&](const std::vector<int64_t> &i) -> int64_t {
        int64_t y = i[1] - 1, w = i[2];
        if (y < 0 || y >= 3 || w >= 4)
          return -1;
        return flatIndex(in, {0, y, w, i[3]});
      },
      -7.5f);
}

TEST_F(DataMovementTest, GatherRows) {
  HostTensor values = randomF32({2, 5, 3}, 57);
  HostTensor indices = HostTensor::zeros("i", DType::I32, {2, 4});
  int32_t idx[8] = {4, 0, 2, 2, 1, 3, 0, 4};
  std::memcpy(indices.data.data(), idx, sizeof(idx));
  std::string ir = kernelModel(
      {{"tensor<2x5x3xf32>"}, {"tensor<2x4xi32>"}},
      "    %r = tosa.gather %b0, %b1 : (tensor<2x5x3xf32>, tensor<2x4xi32>) -> tensor<2x4x3xf32>",
      "tensor<2x4x3xf32>");
  auto got = run(ir, {values, indices});
  ASSERT_EQ(got.size(), 1u);
  std::vector<float> want;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t w = 0; w < 4; ++w)
      for (int64_t c = 0; c < 3; ++c)
        want.push_back(values.as<float>()[flatIndex({2, 5, 3}, {n, idx[n * 4 + w], c})]);
  expectClose(got[0], want, 0, 0);
}

TEST_F(DataMovementTest, ScalarTensors) {
  // Rank 0: a reshape to a scalar, then arithmetic on it.
  HostTensor x = randomF32({1}, 59);
  std::string ir = kernelModel(
      {{"tensor<1xf32>"}},
      "    %0 = tosa.reshape %b0 {new_shape = array<i64>} : (tensor<1xf32>) -> tensor<f32>\n"
      "    %r = tosa.add %0, %0 : (tensor<f32>, tensor<f32>) -> tensor<f32>",
      "tensor<f32>");
  auto got = run(ir, {x});
  ASSERT_EQ(got.size(), 1u);
  expectClose(got[0], {2 * x.as<float>()[0]}, 0, 0);
}

TEST_F(DataMovementTest, ConstantInsideKernel) {
  HostTensor x = randomF32({2, 3}, 58);
  std::string ir = kernelModel(
      {{"tensor<2x3xf32>"}},
      "    %0 = \"tosa.const\"() {value = dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>} : () -> "
      "tensor<1x3xf32>\n"
      "    %1 = tosa.identity %b0 : (tensor<2x3xf32>) -> tensor<2x3xf32>\n"
      "    %r = tosa.add %1, %0 : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>",
      "tensor<2x3xf32>");
  auto got = run(ir, {x});
  ASSERT_EQ(got.size(), 1u);
  std::vector<float> want;
  for (int i = 0; i < 6; ++i)
    want.push_back(x.as<float>()[i] + (i % 3 + 1));
  expectClose(got[0], want, 0, 0);
}

} // namespace
