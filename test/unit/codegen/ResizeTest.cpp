//===- ResizeTest.cpp - tosa.resize via JIT -------------------------------===//
//
// Reference: the TOSA specification's resize pseudo-code (floating-point
// path), written out here. Tolerance atol 1e-5 (bilinear blends of four
// values in [-1, 1)).
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace kiln::codegen;
using namespace kiln::jit;
using kiln::DType;
using namespace kiln::codegen::testing;

namespace {

class ResizeTest : public CodegenTest {};

struct ResizeCase {
  int64_t ih, iw, c;
  int64_t scale[4], offset[2], border[2];
  int64_t oh() const { return ((ih - 1) * scale[0] - offset[0] + border[0]) / scale[1] + 1; }
  int64_t ow() const { return ((iw - 1) * scale[2] - offset[1] + border[1]) / scale[3] + 1; }
};

int64_t floorDiv(int64_t a, int64_t b) { return (a - ((a % b + b) % b)) / b; }

std::vector<float> reference(const ResizeCase &r, const HostTensor &in, bool bilinear) {
  std::vector<float> out;
  auto at = [&](int64_t y, int64_t x, int64_t c) {
    y = std::clamp<int64_t>(y, 0, r.ih - 1);
    x = std::clamp<int64_t>(x, 0, r.iw - 1);
    return in.as<float>()[flatIndex(in.shape, {0, y, x, c})];
  };
  for (int64_t oy = 0; oy < r.oh(); ++oy)
    for (int64_t ox = 0; ox < r.ow(); ++ox)
      for (int64_t c = 0; c < r.c; ++c) {
        int64_t y = oy * r.scale[1] + r.offset[0], x = ox * r.scale[3] + r.offset[1];
        int64_t iy = floorDiv(y, r.scale[0]), ix = floorDiv(x, r.scale[2]);
        float dy = float(y - iy * r.scale[0]) / r.scale[0];
        float dx = float(x - ix * r.scale[2]) / r.scale[2];
        if (bilinear)
          out.push_back((at(iy, ix, c) * (1 - dx) + at(iy, ix + 1, c) * dx) * (1 - dy) +
                        (at(iy + 1, ix, c) * (1 - dx) + at(iy + 1, ix + 1, c) * dx) * dy);
        else
          out.push_back(at(dy >= 0.5f ? iy + 1 : iy, dx >= 0.5f ? ix + 1 : ix, c));
      }
  return out;
}

TEST_F(ResizeTest, NearestAndBilinearMatchTheSpec) {
  std::vector<ResizeCase> cases = {
      {4, 4, 3, {2, 1, 2, 1}, {0, 0}, {1, 1}},   // 2x, align corners off
      {4, 5, 2, {4, 2, 4, 2}, {-1, -1}, {1, 1}}, // 2x, half-pixel centres
      {8, 8, 4, {1, 2, 1, 2}, {0, 0}, {0, 0}},   // downscale
  };
  for (const ResizeCase &r : cases)
    for (bool bilinear : {false, true}) {
      SCOPED_TRACE(llvm::formatv("{0}x{1} scale[{2},{3},{4},{5}] bilinear={6}", r.ih, r.iw,
                                 r.scale[0], r.scale[1], r.scale[2], r.scale[3], bilinear)
                       .str());
      HostTensor in = randomF32({1, r.ih, r.iw, r.c}, 61);
      std::string out = tensorType({1, r.oh(), r.ow(), r.c});
      std::string ir = kernelModel(
          {{tensorType(in.shape)}},
          llvm::formatv("    %r = tosa.resize %b0 {{scale = array<i64: {0}, {1}, {2}, {3}>, "
                        "offset = array<i64: {4}, {5}>, border = array<i64: {6}, {7}>, mode = "
                        "\"{8}\"} : ({9}) -> {10}",
                        r.scale[0], r.scale[1], r.scale[2], r.scale[3], r.offset[0], r.offset[1],
                        r.border[0], r.border[1], bilinear ? "BILINEAR" : "NEAREST_NEIGHBOR",
                        tensorType(in.shape), out)
              .str(),
          out);
      auto got = run(ir, {in});
      ASSERT_EQ(got.size(), 1u);
      expectClose(got[0], reference(r, in, bilinear), 1e-5f, 0);
    }
}

} // namespace
