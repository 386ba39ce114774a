//===- KilnOpsTest.cpp - building and verifying kiln ops in C++ -----------===//
#include "compiler/pipeline/Pipeline.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class KilnOpsTest : public ::testing::Test {
protected:
  KilnOpsTest() {
    DialectRegistry registry;
    kiln::registerDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }
  MLIRContext context;
};

TEST_F(KilnOpsTest, BuildsAVerifiedKernel) {
  OpBuilder b(&context);
  auto module = ModuleOp::create(b.getUnknownLoc());
  auto type = RankedTensorType::get({4}, b.getF32Type());
  b.setInsertionPointToEnd(module.getBody());
  auto func = b.create<func::FuncOp>(b.getUnknownLoc(), "f", b.getFunctionType({type}, {type}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  auto kernel = b.create<kiln::KernelOp>(b.getUnknownLoc(), TypeRange{type}, "neg",
                                         ValueRange{entry->getArgument(0)}, nullptr);
  Block *body = b.createBlock(&kernel.getBody(), {}, {type}, {b.getUnknownLoc()});
  auto neg = b.create<tosa::NegateOp>(b.getUnknownLoc(), type, body->getArgument(0));
  b.create<kiln::YieldOp>(b.getUnknownLoc(), ValueRange{neg});
  b.setInsertionPointToEnd(entry);
  b.create<func::ReturnOp>(b.getUnknownLoc(), kernel.getResults());

  EXPECT_TRUE(succeeded(verify(module)));
  EXPECT_EQ(kernel.getYield().getValues().size(), 1u);
  EXPECT_EQ(kernel.getKernelName(), "neg");
  module.erase();
}

TEST_F(KilnOpsTest, RejectsMismatchedYield) {
  const char *ir = R"mlir(
    func.func @f(%x: tensor<2xf32>) -> tensor<3xf32> {
      %r = kiln.kernel "k" (%x) : (tensor<2xf32>) -> tensor<3xf32> {
      ^bb0(%a: tensor<2xf32>):
        kiln.yield %a : tensor<2xf32>
      }
      return %r : tensor<3xf32>
    })mlir";
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diagnostics += diag.str();
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(ir, &context);
  EXPECT_FALSE(module);
  EXPECT_NE(diagnostics.find("yielded value #0 has type"), std::string::npos) << diagnostics;
}

} // namespace
