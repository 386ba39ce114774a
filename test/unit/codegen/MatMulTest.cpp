//===- MatMulTest.cpp - fully_connected and matmul via JIT ----------------===//
//
// Reference: direct loops. Tolerance atol 1e-4, rtol 1e-4 (sums of up to 96
// products of values in [-1, 1)).
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

using namespace kiln::codegen;
using namespace kiln::jit;
using kiln::DType;
using namespace kiln::codegen::testing;

namespace {

class MatMulTest : public CodegenTest {};

TEST_F(MatMulTest, FullyConnectedMatchesReference) {
  for (auto [n, ic, oc] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 96, 32}, {3, 17, 24}, {2, 5, 3}}) {
    SCOPED_TRACE("n" + std::to_string(n) + " ic" + std::to_string(ic) + " oc" + std::to_string(oc));
    HostTensor in = randomF32({n, ic}, 1), w = randomF32({oc, ic}, 2), b = randomF32({oc}, 3);
    std::string out = tensorType({n, oc});
    std::string ir =
        kernelModel({{tensorType(in.shape)}, {tensorType(w.shape)}, {tensorType(b.shape)}},
                    "    %r = tosa.fully_connected %b0, %b1, %b2 : (" + tensorType(in.shape) +
                        ", " + tensorType(w.shape) + ", " + tensorType(b.shape) + ") -> " + out,
                    out);
    std::vector<float> want(n * oc);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t o = 0; o < oc; ++o) {
        double acc = b.as<float>()[o];
        for (int64_t k = 0; k < ic; ++k)
          acc += in.as<float>()[i * ic + k] * w.as<float>()[o * ic + k];
        want[i * oc + o] = acc;
      }
    for (auto schedule : {std::optional<ScheduleRecord>(), std::optional(genericRecord(8))}) {
      auto got = run(ir, {in, w, b}, schedule);
      ASSERT_EQ(got.size(), 1u);
      expectClose(got[0], want, 1e-4f, 1e-4f);
    }
    // Constant weights, packed [IC, OC] by kiln-pack-weights.
    std::string packed =
        kernelModel({{tensorType(in.shape)}, constantOperand(w), {tensorType(b.shape)}},
                    "    %r = tosa.fully_connected %b0, %b1, %b2 : (" + tensorType(in.shape) +
                        ", " + tensorType(w.shape) + ", " + tensorType(b.shape) + ") -> " + out,
                    out);
    auto got = run(packed, {in, b});
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 1e-4f, 1e-4f);
  }
}

TEST_F(MatMulTest, BatchedMatMulMatchesReference) {
  for (auto [n, h, c, w] :
       std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>>{{1, 12, 20, 32}, {2, 5, 7, 9}}) {
    SCOPED_TRACE("n" + std::to_string(n) + " h" + std::to_string(h));
    HostTensor a = randomF32({n, h, c}, 4), b = randomF32({n, c, w}, 5);
    std::string out = tensorType({n, h, w});
    std::string ir = kernelModel({{tensorType(a.shape)}, {tensorType(b.shape)}},
                                 "    %r = tosa.matmul %b0, %b1 : (" + tensorType(a.shape) + ", " +
                                     tensorType(b.shape) + ") -> " + out,
                                 out);
    std::vector<float> want(n * h * w);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          double acc = 0;
          for (int64_t k = 0; k < c; ++k)
            acc += a.as<float>()[(i * h + y) * c + k] * b.as<float>()[(i * c + k) * w + x];
          want[(i * h + y) * w + x] = acc;
        }
    for (auto schedule : {std::optional<ScheduleRecord>(), std::optional(genericRecord(4))}) {
      auto got = run(ir, {a, b}, schedule);
      ASSERT_EQ(got.size(), 1u);
      expectClose(got[0], want, 1e-4f, 1e-4f);
    }
  }
}

} // namespace
