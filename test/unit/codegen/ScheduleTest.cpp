//===- ScheduleTest.cpp - schedule records and template choice ------------===//
#include "CodegenTestUtil.h"

#include "codegen/schedule/Schedule.h"
#include "codegen/schedule/TuningDb.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"

#include <Halide.h>

using namespace kiln::codegen;
using namespace kiln::jit;
using kiln::DType;
using namespace kiln::codegen::testing;

namespace {

class ScheduleTest : public CodegenTest {
protected:
  kiln::KernelOp firstKernel(mlir::ModuleOp module) {
    kiln::KernelOp kernel;
    module.walk([&](kiln::KernelOp k) { kernel = k; });
    return kernel;
  }
  std::string conv1x1(int64_t channels) {
    std::string in = "tensor<1x8x8x16xf32>",
                w = "tensor<" + std::to_string(channels) + "x1x1x16xf32>",
                b = "tensor<" + std::to_string(channels) + "xf32>",
                out = "tensor<1x8x8x" + std::to_string(channels) + "xf32>";
    return kernelModel({{in}, {w}, {b}},
                       "    %r = tosa.conv2d %b0, %b1, %b2 {pad = array<i64: 0, 0, 0, 0>, stride = "
                       "array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (" +
                           in + ", " + w + ", " + b + ") -> " + out,
                       out);
  }
};

TEST_F(ScheduleTest, RecordRoundTripsThroughAttribute) {
  ScheduleRecord r;
  r.pattern = KernelPattern::Depthwise;
  r.vectorWidth = 16;
  r.channelTile = 32;
  r.pixelTile = 4;
  r.unroll = 3;
  r.rowTile = 2;
  r.parallelDims = {1};
  r.computeAt = "row";
  r.order = "channel_major";
  auto attr = r.toAttr(&context);
  ASSERT_TRUE(static_cast<bool>(attr)) << llvm::toString(attr.takeError());
  EXPECT_EQ(ScheduleRecord::fromAttr(*attr), r);
  EXPECT_EQ(
      r.str(),
      "template depthwise vw=16 ct=32 pt=4 rt=2 unroll=3 parallel=[1] at=row order=channel_major");
}

// The text a tuning database stores: every knob, in a fixed order, with the
// version first; it parses back to the same record.
TEST_F(ScheduleTest, RecordSerialisesStablyAndParsesBack) {
  ScheduleRecord r;
  r.mode = ScheduleMode::Li2018;
  r.pattern = KernelPattern::Conv1x1;
  r.vectorWidth = 8;
  r.channelTile = 24;
  r.pixelTile = 4;
  r.parallelDims = {1, 2};
  std::string text = r.serialize(&context);
  EXPECT_EQ(text, "#kiln.schedule<version = 1, mode = li2018, pattern = conv1x1, vector_width = "
                  "8, channel_tile = 24, pixel_tile = 4, row_tile = 1, unroll = 1, parallel = "
                  "[1, 2], compute_at = tile, order = pixel_major>");
  auto back = ScheduleRecord::parse(text, &context);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(*back, r);
  EXPECT_EQ(back->serialize(&context), text);
}

TEST_F(ScheduleTest, BadRecordsAreRejected) {
  std::string good = "#kiln.schedule<version = 1, mode = template, pattern = generic, "
                     "vector_width = 8, channel_tile = 8, pixel_tile = 1, row_tile = 1, unroll = "
                     "1, parallel = [], compute_at = row, order = pixel_major>";
  ASSERT_TRUE(static_cast<bool>(ScheduleRecord::parse(good, &context)));
  auto bad = [&](llvm::StringRef from, llvm::StringRef to) {
    std::string text = good;
    size_t at = text.find(from.str());
    EXPECT_NE(at, std::string::npos) << from.str();
    text.replace(at, from.size(), to.str());
    auto r = ScheduleRecord::parse(text, &context);
    EXPECT_FALSE(static_cast<bool>(r)) << text;
    return r ? std::string() : llvm::toString(r.takeError());
  };
  EXPECT_NE(bad("mode = template", "mode = nope").find("mode"), std::string::npos);
  EXPECT_NE(bad("vector_width = 8", "vector_width = 0").find("vector_width"), std::string::npos);
  EXPECT_NE(bad("channel_tile = 8", "channel_tile = 12").find("not a multiple"), std::string::npos);
  EXPECT_NE(bad("order = pixel_major", "order = pixel_major, colour = 1").find("colour"),
            std::string::npos);
  EXPECT_NE(bad("compute_at = row", "compute_at = somewhere").find("compute_at"),
            std::string::npos);
  EXPECT_NE(bad("version = 1", "version = 2").find("version 2 is not supported"),
            std::string::npos);
  EXPECT_NE(bad("#kiln.schedule<", "#kiln.nothing<").find("schedule record"), std::string::npos);
  EXPECT_FALSE(static_cast<bool>(ScheduleRecord::parse("{mode = \"template\"}", &context)));
}

TEST_F(ScheduleTest, TargetFeaturesSetTheVectorWidth) {
  auto lanes = [](const char *target) {
    auto info = parseTargetInfo(target);
    EXPECT_TRUE(static_cast<bool>(info)) << target;
    return info ? info->vectorLanesF32 : -1;
  };
  EXPECT_EQ(lanes("x86-64-linux-avx512_skylake-avx2-fma"), 16);
  EXPECT_EQ(lanes("x86-64-linux-avx2-fma-f16c-sse41"), 8);
  EXPECT_EQ(lanes("x86-64-linux-sse41"), 4);
  EXPECT_EQ(lanes("wasm-32-wasmrt-wasm_simd128"), 4);
  EXPECT_EQ(lanes("wasm-32-wasmrt"), 1);
  EXPECT_FALSE(static_cast<bool>(parseTargetInfo("sparc-64-solaris")));
  llvm::consumeError(parseTargetInfo("sparc-64-solaris").takeError());
}

TEST_F(ScheduleTest, TemplateKnobsFitTheChannels) {
  TargetInfo avx512 = *parseTargetInfo("x86-64-linux-avx512_skylake");
  TargetInfo wasm = *parseTargetInfo("wasm-32-wasmrt-wasm_simd128");
  for (int64_t channels : {16, 24, 32, 42, 48, 96, 3}) {
    auto module = parse(conv1x1(channels));
    ASSERT_TRUE(module);
    kiln::KernelOp kernel = firstKernel(*module);
    EXPECT_EQ(classifyKernel(kernel), KernelPattern::Conv1x1);
    for (const TargetInfo &t : {avx512, wasm}) {
      ScheduleRecord r = chooseTemplate(kernel, t);
      SCOPED_TRACE(std::to_string(channels) + " channels, " + t.target + ": " + r.str());
      EXPECT_LE(r.channelTile, channels);
      EXPECT_EQ(r.channelTile % r.vectorWidth, 0);
      EXPECT_LE(r.vectorWidth, t.vectorLanesF32);
      int accumulators = r.channelTile / r.vectorWidth * r.pixelTile;
      EXPECT_LE(accumulators, t.isWasm ? 8 : 24);
    }
  }
  // Full vectors even when they do not divide: 42 channels on AVX-512 take
  // 16 lanes (the last tile shifts inward), 32 take two whole vectors.
  auto module = parse(conv1x1(42));
  EXPECT_EQ(chooseTemplate(firstKernel(*module), avx512).vectorWidth, 16);
  module = parse(conv1x1(32));
  ScheduleRecord r = chooseTemplate(firstKernel(*module), avx512);
  EXPECT_EQ(r.vectorWidth, 16);
  EXPECT_EQ(r.channelTile, 32);
}

// Kernels with few outputs but long reductions still get two threads; tiny
// ones stay on one. Depthwise records unroll the window's columns.
TEST_F(ScheduleTest, ParallelByWorkAndDepthwiseUnroll) {
  TargetInfo avx512 = *parseTargetInfo("x86-64-linux-avx512_skylake");
  auto conv = [&](int64_t hw, int64_t ic, int64_t oc) {
    std::string s = std::to_string(hw),
                in = "tensor<1x" + s + "x" + s + "x" + std::to_string(ic) + "xf32>",
                w = "tensor<" + std::to_string(oc) + "x1x1x" + std::to_string(ic) + "xf32>",
                b = "tensor<" + std::to_string(oc) + "xf32>",
                out = "tensor<1x" + s + "x" + s + "x" + std::to_string(oc) + "xf32>";
    return kernelModel({{in}, {w}, {b}},
                       "    %r = tosa.conv2d %b0, %b1, %b2 {pad = array<i64: 0, 0, 0, 0>, stride = "
                       "array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (" +
                           in + ", " + w + ", " + b + ") -> " + out,
                       out);
  };
  auto module = parse(conv(7, 960, 320)); // 15680 outputs, 15M multiply-adds
  ASSERT_TRUE(module);
  EXPECT_EQ(chooseTemplate(firstKernel(*module), avx512).parallelDims, std::vector<int>{1});
  module = parse(conv(8, 16, 16)); // 1024 outputs, 16K multiply-adds
  ASSERT_TRUE(module);
  EXPECT_TRUE(chooseTemplate(firstKernel(*module), avx512).parallelDims.empty());
  // FaceMesh's 12x12x128 1x1 conv (18K outputs, 2.4M multiply-adds, 32 us)
  // gets two threads; an elementwise kernel of the same size (2.3 us) stays
  // on one, where the 16K-element bar sent it to the pool (issue 20).
  module = parse(conv(12, 128, 128));
  ASSERT_TRUE(module);
  EXPECT_EQ(chooseTemplate(firstKernel(*module), avx512).parallelDims, std::vector<int>{1});
  std::string t = "tensor<1x12x12x128xf32>";
  module = parse(
      kernelModel({{t}, {t}}, "    %r = tosa.add %b0, %b1 : (" + t + ", " + t + ") -> " + t, t));
  ASSERT_TRUE(module);
  EXPECT_TRUE(chooseTemplate(firstKernel(*module), avx512).parallelDims.empty());

  std::string in = "tensor<1x14x14x32xf32>", w = "tensor<3x3x32x1xf32>", b = "tensor<32xf32>";
  module = parse(kernelModel({{in}, {w}, {b}},
                             "    %r = tosa.depthwise_conv2d %b0, %b1, %b2 {pad = array<i64: 1, 1, "
                             "1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (" +
                                 in + ", " + w + ", " + b + ") -> " + in,
                             in));
  ASSERT_TRUE(module);
  ScheduleRecord r = chooseTemplate(firstKernel(*module), avx512);
  EXPECT_EQ(r.pattern, KernelPattern::Depthwise);
  EXPECT_EQ(r.unroll, 3);
}

// A tuning record's features (TuningDb.h) are what Halide resolves "host"
// to: hostCpuFeatures follows Halide 14's get_host_target() rules from
// LLVM's host feature list (no Halide in the schedules phase); here the two
// are compared on the machine the tests run on.
TEST_F(ScheduleTest, HostCpuFeaturesAreHalidesHostTarget) {
  Halide::Target host = Halide::get_host_target();
  std::vector<std::string> halide;
  llvm::SmallVector<llvm::StringRef> parts;
  std::string text = host.to_string();
  llvm::StringRef(text).split(parts, '-');
  // arch-bits-os, then the features.
  ASSERT_GE(parts.size(), 3u) << text;
  for (llvm::StringRef feature : llvm::ArrayRef(parts).drop_front(3))
    halide.push_back(feature.str());
  llvm::sort(halide);
  EXPECT_EQ(llvm::join(hostCpuFeatures(), "-"), llvm::join(halide, "-")) << text;
}

} // namespace
