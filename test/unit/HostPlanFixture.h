//===- HostPlanFixture.h - a context that parses host-plan test IR -*- C++ -*-===//
//
// Shared by HostPlanTest and HostControlTest: a context with Kiln's dialects
// loaded, and planHost run on the @main of a module parsed from a string.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_UNIT_HOSTPLANFIXTURE_H
#define KILN_TEST_UNIT_HOSTPLANFIXTURE_H

#include "compiler/pipeline/Pipeline.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "targets/host/HostPlan.h"

#include <gtest/gtest.h>

namespace kiln::test {

class HostPlanFixture : public ::testing::Test {
protected:
  HostPlanFixture() {
    mlir::DialectRegistry registry;
    kiln::registerDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }
  /// Parses `ir` (kept alive in `module`) and plans its @main as model `name`.
  llvm::Expected<kiln::host::HostPlan> planModule(const char *ir, llvm::StringRef name) {
    module = mlir::parseSourceString<mlir::ModuleOp>(ir, &context);
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "parse failed");
    return kiln::host::planHost(module->lookupSymbol<mlir::func::FuncOp>("main"), name);
  }
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

} // namespace kiln::test

#endif // KILN_TEST_UNIT_HOSTPLANFIXTURE_H
