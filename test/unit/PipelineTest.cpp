//===- PipelineTest.cpp - phases and pipelines as a library ---------------===//
#include "compiler/pipeline/Pipeline.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

TEST(PhaseTest, NamesRoundTripInOrder) {
  const char *names[] = {"import", "graph", "kernels", "schedules", "artifact"};
  std::optional<kiln::Phase> previous;
  for (const char *name : names) {
    std::optional<kiln::Phase> phase = kiln::parsePhase(name);
    ASSERT_TRUE(phase) << name;
    EXPECT_EQ(kiln::phaseName(*phase), name);
    if (previous)
      EXPECT_LT(*previous, *phase);
    previous = phase;
  }
  EXPECT_FALSE(kiln::parsePhase("link"));
  EXPECT_EQ(kiln::phaseNames(), "import, graph, kernels, schedules, artifact");
}

TEST(PipelineTest, KernelsPhaseWrapsEveryComputeOp) {
  DialectRegistry registry;
  kiln::registerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  const char *ir = R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %0 = tosa.exp %x : (tensor<4xf32>) -> tensor<4xf32>
      %1 = tosa.reshape %0 {new_shape = array<i64: 2, 2>} : (tensor<4xf32>) -> tensor<2x2xf32>
      %2 = tosa.reshape %1 {new_shape = array<i64: 4>} : (tensor<2x2xf32>) -> tensor<4xf32>
      %3 = tosa.tanh %2 : (tensor<4xf32>) -> tensor<4xf32>
      return %3 : tensor<4xf32>
    })mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(ir, &context);
  ASSERT_TRUE(module);
  // Graph clean-up cancels the reshape pair; exp and tanh then form a chain.
  ASSERT_TRUE(succeeded(kiln::runPipeline(*module, kiln::Phase::Kernels)));
  int kernels = 0, tosaOutside = 0;
  module->walk([&](Operation *op) {
    if (isa<kiln::KernelOp>(op))
      ++kernels;
    else if (op->getDialect()->getNamespace() == "tosa" && !op->getParentOfType<kiln::KernelOp>())
      ++tosaOutside;
  });
  EXPECT_EQ(kernels, 1);
  EXPECT_EQ(tosaOutside, 0);
}

} // namespace
