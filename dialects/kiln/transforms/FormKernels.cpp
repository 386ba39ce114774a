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

// The most ops one kernel holds. Halide's compile time grows faster than
// linearly with a kernel's expression depth (a chain of 128 elementwise ops
// compiled in 2 s, 256 in 6.5 s, 2,000 in more than 5 minutes, and 100,000
// overflowed the stack); real models' kernels hold at most 12 (the 41
// TF.js models of human-models). A longer chain is cut into kernels of this
// many ops, which equal chains then share (kernelKey).
constexpr size_t kMaxKernelOps = 64;

bool isCompute(Operation *op) {
  return op->getDialect() && op->getDialect()->getNamespace() == "tosa" && !kiln::isConstantOp(op);
}

// A producer that can join the kernel of the elementwise op reading it: the
// residual operand of a block's add, when it is a channel pad (BlazeFace's
// concat with zeros, or a tosa.pad) or elementwise, of the add's shape and
// read by nothing else. Computed inside the anchor's output tiles, it costs
// a select per vector instead of a pass over memory.
bool isAbsorbable(Operation *producer, Operation *user) {
  return producer && producer->getBlock() == user->getBlock() && producer->getNumResults() == 1 &&
         producer->getResult(0).hasOneUse() && isa<tosa::ConcatOp, tosa::PadOp>(producer) &&
         producer->getResult(0).getType() == user->getResult(0).getType();
}

struct FormKernelsPass : kiln::impl::KilnFormKernelsPassBase<FormKernelsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Each group with the op it is named after (its anchor, or its first).
    SmallVector<std::pair<Operation *, SmallVector<Operation *>>> groups;
    llvm::SmallPtrSet<Operation *, 32> grouped;
    // Anchors first, so that they can take producers that come before them
    // in the block; then every other op in order.
    for (bool anchors : {true, false}) {
      for (Block &block : func.getBody()) {
        for (Operation &op : block) {
          if (grouped.contains(&op) || !isCompute(&op) || kiln::isAnchorOp(&op) != anchors)
            continue;
          SmallVector<Operation *> group{&op};
          grouped.insert(&op);
          // Follow the chain of elementwise consumers that use the value alone.
          Operation *cur = &op;
          while ((kiln::isAnchorOp(&op) || kiln::isElementwiseOp(&op)) &&
                 cur->getNumResults() == 1 && cur->getResult(0).hasOneUse() &&
                 group.size() < kMaxKernelOps) {
            Operation *user = *cur->getResult(0).getUsers().begin();
            if (user->getBlock() != &block || !kiln::isElementwiseOp(user) ||
                grouped.contains(user))
              break;
            group.push_back(user);
            grouped.insert(user);
            if (anchors)
              for (Value operand : user->getOperands())
                if (Operation *producer = operand.getDefiningOp(); operand != cur->getResult(0) &&
                                                                   !grouped.contains(producer) &&
                                                                   isAbsorbable(producer, user)) {
                  group.push_back(producer);
                  grouped.insert(producer);
                }
            cur = user;
          }
          // Outlining clones the ops in block order.
          llvm::sort(group, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
          groups.push_back({&op, std::move(group)});
        }
      }
    }
    // Names number the kernels in the block order of the ops they are named
    // after (a function body is one block: HostPlan requires it).
    llvm::sort(groups,
               [](const auto &a, const auto &b) { return a.first->isBeforeInBlock(b.first); });
    unsigned index = 0;
    for (auto &[leader, group] : groups) {
      std::string name = (leader->getName().stripDialect() + "_" + llvm::Twine(index++)).str();
      kiln::outlineKernel(group, name);
    }
  }
};

} // namespace
