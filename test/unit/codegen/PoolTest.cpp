//===- PoolTest.cpp - max_pool2d and avg_pool2d via JIT -------------------===//
//
// Reference: direct loops; TOSA's average excludes padding from the count.
// Tolerance: max pooling is exact; averages atol 1e-6, rtol 1e-5.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "llvm/Support/FormatVariadic.h"

#include <limits>

using namespace kiln::codegen;
using namespace kiln::jit;
using kiln::DType;
using namespace kiln::codegen::testing;

namespace {

class PoolTest : public CodegenTest {};

struct PoolCase {
  int64_t h, w, c, kh, kw, sy, sx, pad[4];
  int64_t oh() const { return (h + pad[0] + pad[1] - kh) / sy + 1; }
  int64_t ow() const { return (w + pad[2] + pad[3] - kw) / sx + 1; }
};

std::vector<float> reference(const PoolCase &p, const HostTensor &in, bool average) {
  std::vector<float> out;
  for (int64_t oy = 0; oy < p.oh(); ++oy)
    for (int64_t ox = 0; ox < p.ow(); ++ox)
      for (int64_t c = 0; c < p.c; ++c) {
        float best = -std::numeric_limits<float>::infinity();
        double sum = 0;
        int count = 0;
        for (int64_t ky = 0; ky < p.kh; ++ky)
          for (int64_t kx = 0; kx < p.kw; ++kx) {
            int64_t iy = oy * p.sy + ky - p.pad[0], ix = ox * p.sx + kx - p.pad[2];
            if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w)
              continue;
            float v = in.as<float>()[flatIndex(in.shape, {0, iy, ix, c})];
            best = std::max(best, v);
            sum += v;
            ++count;
          }
        out.push_back(average ? static_cast<float>(sum / count) : best);
      }
  return out;
}

TEST_F(PoolTest, PoolsMatchReference) {
  std::vector<PoolCase> cases = {
      {8, 8, 16, 2, 2, 2, 2, {0, 0, 0, 0}}, // BlazeFace's 2x2 max pool
      {7, 9, 5, 3, 3, 2, 2, {1, 1, 1, 1}},  // padded: border counts differ
      {5, 5, 24, 5, 5, 1, 1, {0, 0, 0, 0}}, // global
  };
  for (const PoolCase &p : cases)
    for (bool average : {false, true}) {
      SCOPED_TRACE(llvm::formatv("{0}x{1}x{2} k{3}x{4} s{5} avg={6}", p.h, p.w, p.c, p.kh, p.kw,
                                 p.sy, average)
                       .str());
      HostTensor in = randomF32({1, p.h, p.w, p.c}, 9, -5, 5);
      std::string out = tensorType({1, p.oh(), p.ow(), p.c});
      std::string op = average ? "avg_pool2d" : "max_pool2d";
      std::string extra = average ? ", acc_type = f32" : "";
      std::string ir = kernelModel(
          {{tensorType(in.shape)}},
          llvm::formatv("    %r = tosa.{0} %b0 {{kernel = array<i64: {1}, {2}>, stride = "
                        "array<i64: {3}, {4}>, pad = array<i64: {5}, {6}, {7}, {8}>{9}} : ({10}) "
                        "-> {11}",
                        op, p.kh, p.kw, p.sy, p.sx, p.pad[0], p.pad[1], p.pad[2], p.pad[3], extra,
                        tensorType(in.shape), out)
              .str(),
          out);
      auto got = run(ir, {in});
      ASSERT_EQ(got.size(), 1u);
      expectClose(got[0], reference(p, in, average), average ? 1e-6f : 0, average ? 1e-5f : 0);
    }
}

} // namespace
