//===- ConvTest.cpp - conv2d, depthwise_conv2d, transpose_conv2d via JIT --===//
//
// Each case runs under three schedules: the template the target gets, the
// generic template, and the generic one with vectors wider than some of
// the shapes (the tail cases). Reference: direct loops over NHWC.
// Tolerance: f32 sums of at most a few hundred products of values in
// [-1, 1): atol 1e-4, rtol 1e-4.
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

struct ConvCase {
  int64_t n, h, w, ic, oc, kh, kw;
  int64_t pad[4]; // top, bottom, left, right
  int64_t stride[2], dil[2];
  int64_t oh() const { return (h + pad[0] + pad[1] - (kh - 1) * dil[0] - 1) / stride[0] + 1; }
  int64_t ow() const { return (w + pad[2] + pad[3] - (kw - 1) * dil[1] - 1) / stride[1] + 1; }
  std::string str() const {
    return llvm::formatv("n{0} {1}x{2}x{3} -> {4}, k{5}x{6} pad[{7},{8},{9},{10}] s{11}x{12} "
                         "d{13}x{14}",
                         n, h, w, ic, oc, kh, kw, pad[0], pad[1], pad[2], pad[3], stride[0],
                         stride[1], dil[0], dil[1])
        .str();
  }
};

std::string attrs(const ConvCase &c) {
  return llvm::formatv("pad = array<i64: {0}, {1}, {2}, {3}>, stride = array<i64: {4}, {5}>, "
                       "dilation = array<i64: {6}, {7}>",
                       c.pad[0], c.pad[1], c.pad[2], c.pad[3], c.stride[0], c.stride[1], c.dil[0],
                       c.dil[1]);
}

// A tiled record with knobs the templates do not pick by default: 2D tiles
// (rows) and the weight-stationary order. Shapes it does not fit fall back.
ScheduleRecord oddTiles(KernelPattern pattern) {
  ScheduleRecord r = genericRecord(8);
  r.pattern = pattern;
  r.channelTile = 8;
  r.pixelTile = 3;
  r.rowTile = 2;
  r.order = "channel_major";
  return r;
}

std::vector<std::optional<ScheduleRecord>> schedules(KernelPattern pattern = KernelPattern::Conv) {
  return {std::nullopt, genericRecord(1), genericRecord(8), oddTiles(pattern)};
}

class ConvTest : public CodegenTest {};

std::vector<float> referenceConv(const ConvCase &c, const HostTensor &in, const HostTensor &w,
                                 const HostTensor &b, bool depthwise) {
  std::vector<int64_t> outShape = {c.n, c.oh(), c.ow(), c.oc};
  std::vector<float> out(c.n * c.oh() * c.ow() * c.oc);
  int64_t m = depthwise ? c.oc / c.ic : 1;
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t oy = 0; oy < c.oh(); ++oy)
      for (int64_t ox = 0; ox < c.ow(); ++ox)
        for (int64_t oc = 0; oc < c.oc; ++oc) {
          double acc = b.as<float>()[oc];
          for (int64_t ky = 0; ky < c.kh; ++ky)
            for (int64_t kx = 0; kx < c.kw; ++kx) {
              int64_t iy = oy * c.stride[0] + ky * c.dil[0] - c.pad[0];
              int64_t ix = ox * c.stride[1] + kx * c.dil[1] - c.pad[2];
              if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w)
                continue;
              if (depthwise) {
                int64_t ic = oc / m;
                acc += in.as<float>()[flatIndex(in.shape, {n, iy, ix, ic})] *
                       w.as<float>()[flatIndex(w.shape, {ky, kx, ic, oc % m})];
              } else {
                for (int64_t ic = 0; ic < c.ic; ++ic)
                  acc += in.as<float>()[flatIndex(in.shape, {n, iy, ix, ic})] *
                         w.as<float>()[flatIndex(w.shape, {oc, ky, kx, ic})];
              }
            }
          out[flatIndex(outShape, {n, oy, ox, oc})] = acc;
        }
  return out;
}

TEST_F(ConvTest, Conv2DMatchesReference) {
  std::vector<ConvCase> cases = {
      {1, 8, 8, 16, 32, 1, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}}, // 1x1, tiles of 16 lanes
      {1, 7, 5, 8, 24, 1, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}},  // 24 channels: 8 lanes
      {1, 9, 9, 3, 16, 3, 3, {1, 1, 1, 1}, {2, 2}, {1, 1}},  // first layer, stride 2
      {2, 6, 7, 5, 3, 3, 3, {1, 1, 1, 1}, {1, 1}, {1, 1}},   // 3 outputs: scalar
      {1, 10, 10, 4, 8, 5, 5, {1, 2, 2, 1}, {2, 1}, {1, 1}}, // odd padding
      {1, 9, 9, 4, 8, 3, 3, {2, 2, 2, 2}, {1, 1}, {2, 2}},   // dilation
      {1, 3, 2, 8, 48, 1, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}},  // fewer pixels than a tile
  };
  for (const ConvCase &c : cases) {
    SCOPED_TRACE(c.str());
    HostTensor in = randomF32({c.n, c.h, c.w, c.ic}, 1);
    HostTensor w = randomF32({c.oc, c.kh, c.kw, c.ic}, 2);
    HostTensor b = randomF32({c.oc}, 3);
    std::string out = tensorType({c.n, c.oh(), c.ow(), c.oc});
    std::string ir = kernelModel(
        {{tensorType(in.shape)}, {tensorType(w.shape)}, {tensorType(b.shape)}},
        "    %r = tosa.conv2d %b0, %b1, %b2 {" + attrs(c) + "} : (" + tensorType(in.shape) + ", " +
            tensorType(w.shape) + ", " + tensorType(b.shape) + ") -> " + out,
        out);
    std::vector<float> want = referenceConv(c, in, w, b, false);
    for (auto &schedule : schedules()) {
      SCOPED_TRACE(schedule ? schedule->str() : "template");
      auto got = run(ir, {in, w, b}, schedule);
      ASSERT_EQ(got.size(), 1u);
      expectClose(got[0], want, 1e-4f, 1e-4f);
      // The target's own template must be the tiled one, not the fallback.
      if (!schedule)
        EXPECT_EQ(lastStats.at(0).schedule.rfind("template conv", 0), 0u) << lastStats[0].schedule;
    }
    // Constant weights: kiln-pack-weights stores them HWIO and the kernel
    // reads them through a transpose.
    std::string packed = kernelModel(
        {{tensorType(in.shape)}, constantOperand(w), {tensorType(b.shape)}},
        "    %r = tosa.conv2d %b0, %b1, %b2 {" + attrs(c) + "} : (" + tensorType(in.shape) + ", " +
            tensorType(w.shape) + ", " + tensorType(b.shape) + ") -> " + out,
        out);
    auto got = run(packed, {in, b});
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 1e-4f, 1e-4f);
  }
}

TEST_F(ConvTest, Conv2DWithEpilogueMatchesReference) {
  // conv -> add (a broadcast per-channel tensor) -> clamp(0, 6): the
  // pattern the tiled template computes inside each output tile.
  ConvCase c{1, 6, 6, 8, 32, 3, 3, {1, 1, 1, 1}, {1, 1}, {1, 1}};
  HostTensor in = randomF32({1, 6, 6, 8}, 4, -2, 2);
  HostTensor w = randomF32({32, 3, 3, 8}, 5);
  HostTensor b = randomF32({32}, 6);
  HostTensor skip = randomF32({1, 1, 1, 32}, 7, -3, 3);
  std::string out = tensorType({1, 6, 6, 32});
  std::string ir = kernelModel(
      {{tensorType(in.shape)},
       {tensorType(w.shape)},
       {tensorType(b.shape)},
       {tensorType(skip.shape)}},
      "    %0 = tosa.conv2d %b0, %b1, %b2 {" + attrs(c) + "} : (" + tensorType(in.shape) + ", " +
          tensorType(w.shape) + ", " + tensorType(b.shape) + ") -> " + out +
          "\n    %1 = tosa.add %0, %b3 : (" + out + ", " + tensorType(skip.shape) + ") -> " + out +
          "\n    %r = tosa.clamp %1 {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, "
          "max_int = 6 : i64} : (" +
          out + ") -> " + out,
      out);
  std::vector<float> want = referenceConv(c, in, w, b, false);
  for (int64_t i = 0; i < static_cast<int64_t>(want.size()); ++i)
    want[i] = std::min(6.0f, std::max(0.0f, want[i] + skip.as<float>()[i % 32]));
  for (auto &schedule : schedules()) {
    SCOPED_TRACE(schedule ? schedule->str() : "template");
    auto got = run(ir, {in, w, b, skip}, schedule);
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 1e-4f, 1e-4f);
  }
}

TEST_F(ConvTest, AutoSchedulersMatchReference) {
  // Each of Halide's three autoschedulers (plugins), on a padded 3x3 conv
  // with an epilogue; about a second each.
  ConvCase c{1, 10, 10, 8, 16, 3, 3, {1, 1, 1, 1}, {1, 1}, {1, 1}};
  HostTensor in = randomF32({1, 10, 10, 8}, 8), w = randomF32({16, 3, 3, 8}, 9),
             b = randomF32({16}, 10);
  std::string out = tensorType({1, 10, 10, 16});
  std::string ir = kernelModel(
      {{tensorType(in.shape)}, {tensorType(w.shape)}, {tensorType(b.shape)}},
      "    %0 = tosa.conv2d %b0, %b1, %b2 {" + attrs(c) + "} : (" + tensorType(in.shape) + ", " +
          tensorType(w.shape) + ", " + tensorType(b.shape) + ") -> " + out +
          "\n    %r = tosa.tanh %0 : (" + out + ") -> " + out,
      out);
  std::vector<float> want = referenceConv(c, in, w, b, false);
  for (float &v : want)
    v = std::tanh(v);
  for (ScheduleMode mode :
       {ScheduleMode::Adams2019, ScheduleMode::Li2018, ScheduleMode::Mullapudi2016}) {
    SCOPED_TRACE(scheduleModeName(mode));
    auto got = run(ir, {in, w, b}, std::nullopt, mode);
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 1e-4f, 1e-4f);
    EXPECT_EQ(lastStats.at(0).schedule, scheduleModeName(mode));
  }
}

TEST_F(ConvTest, FusedInvertedResidualBlock) {
  // expand 1x1 -> clamp -> depthwise 3x3 -> clamp -> project 1x1 -> + input,
  // all in one kernel (several anchors: the generic template).
  int64_t h = 9, w = 7, c = 8, e = 24;
  HostTensor in = randomF32({1, h, w, c}, 81);
  HostTensor we = randomF32({e, 1, 1, c}, 82), be = randomF32({e}, 83);
  HostTensor wd = randomF32({3, 3, e, 1}, 84), bd = randomF32({e}, 85);
  HostTensor wp = randomF32({c, 1, 1, e}, 86), bp = randomF32({c}, 87);
  ConvCase expand{1, h, w, c, e, 1, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}};
  ConvCase dw{1, h, w, e, e, 3, 3, {1, 1, 1, 1}, {1, 1}, {1, 1}};
  ConvCase project{1, h, w, e, c, 1, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}};
  auto relu6 = [](std::vector<float> v) {
    for (float &x : v)
      x = std::min(6.0f, std::max(0.0f, x));
    return v;
  };
  auto tensorOf = [](std::vector<int64_t> shape, const std::vector<float> &v) {
    HostTensor t = HostTensor::zeros("t", DType::F32, shape);
    std::memcpy(t.data.data(), v.data(), v.size() * 4);
    return t;
  };
  HostTensor t1 = tensorOf({1, h, w, e}, relu6(referenceConv(expand, in, we, be, false)));
  HostTensor t2 = tensorOf({1, h, w, e}, relu6(referenceConv(dw, t1, wd, bd, true)));
  std::vector<float> want = referenceConv(project, t2, wp, bp, false);
  for (size_t i = 0; i < want.size(); ++i)
    want[i] += in.as<float>()[i];

  std::string x = tensorType(in.shape), ex = tensorType({1, h, w, e});
  std::string clamp = " {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = "
                      "6 : i64} : (" +
                      ex + ") -> " + ex;
  std::string body =
      "    %0 = tosa.conv2d %b0, %b1, %b2 {" + attrs(expand) + "} : (" + x + ", " +
      tensorType(we.shape) + ", " + tensorType(be.shape) + ") -> " + ex +
      "\n    %1 = tosa.clamp %0" + clamp + "\n    %2 = tosa.depthwise_conv2d %1, %b3, %b4 {" +
      attrs(dw) + "} : (" + ex + ", " + tensorType(wd.shape) + ", " + tensorType(bd.shape) +
      ") -> " + ex + "\n    %3 = tosa.clamp %2" + clamp + "\n    %4 = tosa.conv2d %3, %b5, %b6 {" +
      attrs(project) + "} : (" + ex + ", " + tensorType(wp.shape) + ", " + tensorType(bp.shape) +
      ") -> " + x + "\n    %r = tosa.add %4, %b0 : (" + x + ", " + x + ") -> " + x;
  std::string ir = kernelModel({{x},
                                constantOperand(we),
                                {tensorType(be.shape)},
                                {tensorType(wd.shape)},
                                {tensorType(bd.shape)},
                                constantOperand(wp),
                                {tensorType(bp.shape)}},
                               body, x);
  for (auto &schedule : schedules()) {
    SCOPED_TRACE(schedule ? schedule->str() : "template");
    auto got = run(ir, {in, be, wd, bd, bp}, schedule);
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 1e-4f, 1e-4f);
  }
}

TEST_F(ConvTest, DepthwiseMatchesReference) {
  std::vector<ConvCase> cases = {
      {1, 8, 8, 32, 32, 3, 3, {1, 1, 1, 1}, {1, 1}, {1, 1}},
      {1, 9, 9, 24, 24, 3, 3, {0, 1, 0, 1}, {2, 2}, {1, 1}},
      {1, 7, 7, 16, 16, 5, 5, {2, 2, 2, 2}, {1, 1}, {1, 1}}, // BlazeFace's 5x5
      {1, 5, 6, 3, 6, 3, 3, {1, 1, 1, 1}, {1, 1}, {1, 1}},   // channel multiplier 2
  };
  for (const ConvCase &c : cases) {
    SCOPED_TRACE(c.str());
    int64_t m = c.oc / c.ic;
    HostTensor in = randomF32({c.n, c.h, c.w, c.ic}, 11);
    HostTensor w = randomF32({c.kh, c.kw, c.ic, m}, 12);
    HostTensor b = randomF32({c.oc}, 13);
    std::string out = tensorType({c.n, c.oh(), c.ow(), c.oc});
    std::string ir =
        kernelModel({{tensorType(in.shape)}, {tensorType(w.shape)}, {tensorType(b.shape)}},
                    "    %r = tosa.depthwise_conv2d %b0, %b1, %b2 {" + attrs(c) + "} : (" +
                        tensorType(in.shape) + ", " + tensorType(w.shape) + ", " +
                        tensorType(b.shape) + ") -> " + out,
                    out);
    std::vector<float> want = referenceConv(c, in, w, b, true);
    for (auto &schedule : schedules(KernelPattern::Depthwise)) {
      SCOPED_TRACE(schedule ? schedule->str() : "template");
      auto got = run(ir, {in, w, b}, schedule);
      ASSERT_EQ(got.size(), 1u);
      expectClose(got[0], want, 1e-4f, 1e-4f);
    }
  }
}

TEST_F(ConvTest, TransposeConvMatchesReference) {
  // The TOSA definition, as a scatter: input pixel (iy, ix) adds to output
  // (iy * stride + out_pad_top + ky, ix * stride + out_pad_left + kx).
  int64_t n = 1, ih = 4, iw = 5, ic = 3, oc = 8, kh = 3, kw = 3, sy = 2, sx = 2;
  int64_t padTop = 0, padLeft = -1;
  int64_t oh = (ih - 1) * sy + padTop + 0 + kh, ow = (iw - 1) * sx + padLeft + 0 + kw;
  HostTensor in = randomF32({n, ih, iw, ic}, 21);
  HostTensor w = randomF32({oc, kh, kw, ic}, 22);
  HostTensor b = randomF32({oc}, 23);
  std::vector<int64_t> outShape = {n, oh, ow, oc};
  std::vector<float> want(n * oh * ow * oc);
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x)
      for (int64_t o = 0; o < oc; ++o)
        want[flatIndex(outShape, {0, y, x, o})] = b.as<float>()[o];
  for (int64_t iy = 0; iy < ih; ++iy)
    for (int64_t ix = 0; ix < iw; ++ix)
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx) {
          int64_t y = iy * sy + padTop + ky, x = ix * sx + padLeft + kx;
          if (y < 0 || y >= oh || x < 0 || x >= ow)
            continue;
          for (int64_t o = 0; o < oc; ++o)
            for (int64_t i = 0; i < ic; ++i)
              want[flatIndex(outShape, {0, y, x, o})] +=
                  in.as<float>()[flatIndex(in.shape, {0, iy, ix, i})] *
                  w.as<float>()[flatIndex(w.shape, {o, ky, kx, i})];
        }
  std::string out = tensorType(outShape);
  std::string ir = kernelModel(
      {{tensorType(in.shape)}, {tensorType(w.shape)}, {tensorType(b.shape)}},
      llvm::formatv("    %r = tosa.transpose_conv2d %b0, %b1, %b2 {{out_pad = array<i64: {0}, 0, "
                    "{1}, 0>, stride = array<i64: {2}, {3}>, out_shape = array<i64: {4}, {5}, "
                    "{6}, {7}>} : ({8}, {9}, {10}) -> {11}",
                    padTop, padLeft, sy, sx, n, oh, ow, oc, tensorType(in.shape),
                    tensorType(w.shape), tensorType(b.shape), out)
          .str(),
      out);
  for (auto &schedule : schedules()) {
    SCOPED_TRACE(schedule ? schedule->str() : "template");
    auto got = run(ir, {in, w, b}, schedule);
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want, 1e-4f, 1e-4f);
  }
}

} // namespace
