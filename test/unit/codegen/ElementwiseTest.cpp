//===- ElementwiseTest.cpp - elementwise ops and broadcasting via JIT -----===//
//
// Reference: the C++ standard library per element. Tolerance: atol 1e-6,
// rtol 1e-5 for the transcendental functions (Halide calls the same libm
// or its own polynomial), exact for the rest.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include <cmath>
#include <functional>

using namespace kiln::codegen;
using namespace kiln::jit;
using kiln::DType;
using namespace kiln::codegen::testing;

namespace {

class ElementwiseTest : public CodegenTest {};

struct UnaryCase {
  std::string op, attrs;
  std::function<float(float)> fn;
  float lo, hi;
};

TEST_F(ElementwiseTest, UnaryFloatOpsMatchReference) {
  std::vector<UnaryCase> cases = {
      {"abs", "", [](float x) { return std::fabs(x); }, -3, 3},
      {"negate", "", [](float x) { return -x; }, -3, 3},
      {"exp", "", [](float x) { return std::exp(x); }, -5, 5},
      {"log", "", [](float x) { return std::log(x); }, 0.01f, 10},
      {"tanh", "", [](float x) { return std::tanh(x); }, -4, 4},
      {"sigmoid", "", [](float x) { return 1 / (1 + std::exp(-x)); }, -8, 8},
      {"reciprocal", "", [](float x) { return 1 / x; }, 0.1f, 4},
      {"rsqrt", "", [](float x) { return 1 / std::sqrt(x); }, 0.1f, 4},
      {"floor", "", [](float x) { return std::floor(x); }, -4, 4},
      {"ceil", "", [](float x) { return std::ceil(x); }, -4, 4},
      {"erf", "", [](float x) { return std::erf(x); }, -3, 3},
      {"clamp", " {min_fp = -1.5 : f32, max_fp = 2.0 : f32, min_int = -1 : i64, max_int = 2 : i64}",
       [](float x) { return std::min(2.0f, std::max(-1.5f, x)); }, -4, 4},
  };
  // 37 elements: not a multiple of any vector width.
  std::vector<int64_t> shape = {1, 37};
  std::string type = tensorType(shape);
  for (const UnaryCase &c : cases) {
    SCOPED_TRACE(c.op);
    HostTensor in = randomF32(shape, 41, c.lo, c.hi);
    std::string ir = kernelModel(
        {{type}}, "    %r = tosa." + c.op + " %b0" + c.attrs + " : (" + type + ") -> " + type,
        type);
    std::vector<float> want;
    for (int64_t i = 0; i < in.numElements(); ++i)
      want.push_back(c.fn(in.as<float>()[i]));
    auto got = run(ir, {in});
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 1e-6f, 1e-5f);
  }
}

TEST_F(ElementwiseTest, BinaryOpsBroadcast) {
  std::vector<int64_t> sa = {2, 1, 4, 8}, sb = {1, 3, 1, 8}, so = {2, 3, 4, 8};
  HostTensor a = randomF32(sa, 42, 0.5f, 2), b = randomF32(sb, 43, 0.5f, 2);
  std::vector<std::pair<std::string, std::function<float(float, float)>>> ops = {
      {"add", [](float x, float y) { return x + y; }},
      {"sub", [](float x, float y) { return x - y; }},
      {"maximum", [](float x, float y) { return std::max(x, y); }},
      {"minimum", [](float x, float y) { return std::min(x, y); }},
      {"pow", [](float x, float y) { return std::pow(x, y); }},
      {"mul", [](float x, float y) { return x * y; }},
  };
  for (auto &[op, fn] : ops) {
    SCOPED_TRACE(op);
    std::string attrs = op == "mul" ? " {shift = 0 : i8}" : "";
    std::string ir =
        kernelModel({{tensorType(sa)}, {tensorType(sb)}},
                    "    %r = tosa." + op + " %b0, %b1" + attrs + " : (" + tensorType(sa) + ", " +
                        tensorType(sb) + ") -> " + tensorType(so),
                    tensorType(so));
    std::vector<float> want;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j)
        for (int64_t k = 0; k < 4; ++k)
          for (int64_t l = 0; l < 8; ++l)
            want.push_back(fn(a.as<float>()[flatIndex(sa, {i, 0, k, l})],
                              b.as<float>()[flatIndex(sb, {0, j, 0, l})]));
    auto got = run(ir, {a, b});
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 1e-6f, 1e-5f);
  }
}

TEST_F(ElementwiseTest, ComparisonsAndSelect) {
  // a > b ? a : b * 2, through i1 values.
  HostTensor a = randomI32({16}, 44, -3, 3), b = randomI32({16}, 45, -3, 3);
  HostTensor fa = HostTensor::zeros("a", DType::F32, {16}), fb = fa;
  for (int i = 0; i < 16; ++i) {
    fa.as<float>()[i] = a.as<int32_t>()[i];
    fb.as<float>()[i] = b.as<int32_t>()[i];
  }
  std::string t = "tensor<16xf32>", p = "tensor<16xi1>";
  for (std::string cmp : {"greater", "greater_equal", "equal"}) {
    SCOPED_TRACE(cmp);
    std::string ir = kernelModel({{t}, {t}},
                                 "    %0 = tosa." + cmp + " %b0, %b1 : (" + t + ", " + t + ") -> " +
                                     p + "\n    %1 = tosa.add %b1, %b1 : (" + t + ", " + t +
                                     ") -> " + t + "\n    %r = tosa.select %0, %b0, %1 : (" + p +
                                     ", " + t + ", " + t + ") -> " + t,
                                 t);
    std::vector<float> want;
    for (int i = 0; i < 16; ++i) {
      float x = fa.as<float>()[i], y = fb.as<float>()[i];
      bool c = cmp == "greater" ? x > y : cmp == "greater_equal" ? x >= y : x == y;
      want.push_back(c ? x : 2 * y);
    }
    auto got = run(ir, {fa, fb});
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 0, 0);
  }
}

TEST_F(ElementwiseTest, CastRoundsToNearestEvenAndSaturates) {
  HostTensor in = HostTensor::zeros("x", DType::F32, {8});
  float values[8] = {2.5f, -2.5f, 3.5f, 0.4f, -0.6f, 1e10f, -1e10f, 7.0f};
  std::memcpy(in.data.data(), values, sizeof(values));
  std::string ir =
      kernelModel({{"tensor<8xf32>"}}, "    %r = tosa.cast %b0 : (tensor<8xf32>) -> tensor<8xi32>",
                  "tensor<8xi32>");
  HostTensor want = HostTensor::zeros("want", DType::I32, {8});
  int32_t expected[8] = {2, -2, 4, 0, -1, INT32_MAX, INT32_MIN, 7};
  std::memcpy(want.data.data(), expected, sizeof(expected));
  auto got = run(ir, {in});
  ASSERT_EQ(got.size(), 1u);
  expectEqual(got[0], want);

  // To bool: non-zero is true.
  std::string toBool =
      kernelModel({{"tensor<8xf32>"}}, "    %r = tosa.cast %b0 : (tensor<8xf32>) -> tensor<8xi1>",
                  "tensor<8xi1>");
  HostTensor wantBool = HostTensor::zeros("want", DType::Bool, {8});
  for (int i = 0; i < 8; ++i)
    wantBool.data[i] = values[i] != 0;
  got = run(toBool, {in});
  ASSERT_EQ(got.size(), 1u);
  expectEqual(got[0], wantBool);
}

TEST_F(ElementwiseTest, IntegerDivisionTruncatesTowardZero) {
  HostTensor a = HostTensor::zeros("a", DType::I32, {6}), b = a;
  int32_t av[6] = {7, -7, 7, -7, 0, 9}, bv[6] = {2, 2, -2, -2, 3, 3};
  std::memcpy(a.data.data(), av, sizeof(av));
  std::memcpy(b.data.data(), bv, sizeof(bv));
  std::string ir = kernelModel(
      {{"tensor<6xi32>"}, {"tensor<6xi32>"}},
      "    %r = tosa.int_div %b0, %b1 : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi32>",
      "tensor<6xi32>");
  HostTensor want = a;
  for (int i = 0; i < 6; ++i)
    want.as<int32_t>()[i] = av[i] / bv[i]; // C++ truncates, like TOSA
  auto got = run(ir, {a, b});
  ASSERT_EQ(got.size(), 1u);
  expectEqual(got[0], want);
}

} // namespace
