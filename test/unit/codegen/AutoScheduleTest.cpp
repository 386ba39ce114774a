//===- AutoScheduleTest.cpp - Halide's autoschedulers, made robust --------===//
//
// The depthwise kernel on which Adams2019's schedule used to break Halide
// 14's code generator ("Symbol not found: depthwise_0.s1.d1.d1": a Func
// stored outside the GuardWithIf-split loop it is computed in) must now
// compile under the autoscheduler itself, not through the template
// fallback; and the autoschedulers' chatter must not reach stderr.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "codegen/Compile.h"
#include "codegen/QuietStderr.h"
#include "dialects/kiln/KilnOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <unistd.h>

using namespace kiln::codegen;
using namespace kiln::codegen::testing;

namespace {

class AutoScheduleTest : public CodegenTest {
protected:
  void SetUp() override { ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("kiln-auto", dir)); }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
  llvm::SmallString<128> dir;
};

// BlazeFace front's depthwise_conv2d_1: 3x3, pad 1, 64x64x24.
const char *kDepthwiseBody =
    "    %r = tosa.depthwise_conv2d %b0, %b1, %b2 {pad = array<i64: 1, 1, 1, 1>, stride = "
    "array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x64x64x24xf32>, "
    "tensor<3x3x24x1xf32>, tensor<24xf32>) -> tensor<1x64x64x24xf32>";

TEST_F(AutoScheduleTest, Adams2019DepthwiseCompilesWithoutFallback) {
  std::string ir =
      kernelModel({{"tensor<1x64x64x24xf32>"}, {"tensor<3x3x24x1xf32>"}, {"tensor<24xf32>"}},
                  kDepthwiseBody, "tensor<1x64x64x24xf32>");
  auto module = parse(ir);
  ASSERT_TRUE(module);
  kiln::KernelOp kernel;
  module->walk([&](kiln::KernelOp k) { kernel = k; });
  CompileOptions options;
  options.defaultMode = ScheduleMode::Adams2019;
  options.fallbackToTemplate = false;
  ::testing::internal::CaptureStderr();
  auto info = compileKernelObject(kernel, "dw", "host", path("dw.o"), options);
  std::string printed = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(static_cast<bool>(info)) << llvm::toString(info.takeError());
  EXPECT_EQ(info->schedule.mode, ScheduleMode::Adams2019);
  EXPECT_TRUE(info->fallbackReason.empty());
  EXPECT_EQ(scheduleLabel(*info, ScheduleMode::Adams2019), "auto:adams2019");
  if (!QuietStderr::disabled())
    EXPECT_EQ(printed, "") << "the autoscheduler's chatter reached stderr";
}

TEST_F(AutoScheduleTest, QuietStderrDropsOutputAndRestores) {
  if (QuietStderr::disabled())
    GTEST_SKIP() << "KILN_HALIDE_LOG or HL_DEBUG_CODEGEN is set";
  ::testing::internal::CaptureStderr();
  {
    QuietStderr outer;
    {
      QuietStderr inner;
      std::fprintf(stderr, "Pass 1 of 5, cost: 1.0\n");
    }
    std::fprintf(stderr, "Cache (block) misses: 3\n");
    ASSERT_EQ(write(2, "raw\n", 4), 4);
  }
  std::fprintf(stderr, "after\n");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "after\n");
}

TEST_F(AutoScheduleTest, FallbackWarningNamesKernelAndReason) {
  CompiledKernelInfo info;
  info.schedule.mode = ScheduleMode::Template;
  info.schedule.pattern = KernelPattern::Depthwise;
  EXPECT_EQ(fallbackWarning("k", info, ScheduleMode::Li2018), "");
  info.fallbackReason = "Halide failed: boom";
  EXPECT_EQ(fallbackWarning("k", info, ScheduleMode::Li2018),
            "kernel 'k': auto:li2018 failed (Halide failed: boom); compiled with the template "
            "schedule");
  EXPECT_EQ(scheduleLabel(info, ScheduleMode::Li2018), "template:depthwise (auto:li2018 failed)");
}

} // namespace
