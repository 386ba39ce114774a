//===- FormKernels.cpp - cut a TOSA graph into kiln.kernel regions --------===//
//
// Each kiln.kernel becomes one compiled function. Fusing an anchor (conv,
// matmul, pooling, reduction) with the elementwise ops that consume it alone
// keeps the intermediate in registers or cache instead of a round trip through
// memory, which is where an op-by-op runtime loses.
//
//===----------------------------------------------------------------------===//
#include "dialects/kiln/Passes.h"
#include "dialects/kiln/transforms/Outline.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

namespace kiln {
#define GEN_PASS_DEF_KILNFORMKERNELSPASS
#include "dialects/kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool isCompute(Operation *op) {
  return op->getDialect() && op->getDialect()->getNamespace() == "tosa" && !kiln::isConstantOp(op);
}

struct FormKernelsPass : kiln::impl::KilnFormKernelsPassBase<FormKernelsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<SmallVector<Operation *>> groups;
    llvm::SmallPtrSet<Operation *, 32> grouped;
    for (Block &block : func.getBody()) {
      for (Operation &op : block) {
        if (grouped.contains(&op) || !isCompute(&op))
          continue;
        SmallVector<Operation *> group{&op};
        grouped.insert(&op);
        // Follow the chain of elementwise consumers that use the value alone.
        Operation *cur = &op;
        while ((kiln::isAnchorOp(&op) || kiln::isElementwiseOp(&op)) && cur->getNumResults() == 1 &&
               cur->getResult(0).hasOneUse()) {
          Operation *user = *cur->getResult(0).getUsers().begin();
          if (user->getBlock() != &block || !kiln::isElementwiseOp(user) || grouped.contains(user))
            break;
          group.push_back(user);
          grouped.insert(user);
          cur = user;
        }
        groups.push_back(std::move(group));
      }
    }
    unsigned index = 0;
    for (auto &group : groups) {
      std::string name =
          (group.front()->getName().stripDialect() + "_" + llvm::Twine(index++)).str();
      kiln::outlineKernel(group, name);
    }
  }
};

} // namespace
