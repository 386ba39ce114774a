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

// How far past an op whose result has several users the pass looks for
// those users to join again (a few ops in the models; a bound keeps the pass
// linear on long graphs).
constexpr int kJoinWindow = 32;

// The elementwise ops after `cur` that read its result and join into one
// value again, in block order: PReLU as TF.js models import it (x * alpha,
// x >= 0, select of the two, all reading x), or x * sigmoid(x). The last op
// is the join, the only one read outside the set. Empty when the result
// also reaches an op that is not elementwise, is grouped already, or leaves
// the set unjoined: then it stays a value between kernels.
SmallVector<Operation *>
joiningConsumers(Operation *cur, const llvm::SmallPtrSetImpl<Operation *> &grouped, size_t room) {
  SmallVector<Operation *> ops;
  llvm::SmallPtrSet<Operation *, 8> members;
  llvm::SmallSetVector<Value, 4> open; // read outside the set so far
  open.insert(cur->getResult(0));
  int scanned = 0;
  for (Operation *op = cur->getNextNode(); op && !open.empty() && scanned < kJoinWindow;
       op = op->getNextNode(), ++scanned) {
    if (llvm::none_of(op->getOperands(), [&](Value v) { return open.contains(v); }))
      continue;
    if (!kiln::isElementwiseOp(op) || grouped.contains(op) || op->getNumResults() != 1 ||
        ops.size() >= room)
      return {};
    ops.push_back(op);
    members.insert(op);
    open.insert(op->getResult(0));
    open.remove_if([&](Value v) {
      return llvm::all_of(v.getUsers(), [&](Operation *user) { return members.contains(user); });
    });
    if (open.size() == 1 && open.front() == op->getResult(0))
      return ops;
  }
  return {};
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
          // Follow the chain of elementwise consumers that use the value
          // alone, or that use it together and join again.
          Operation *cur = &op;
          while ((kiln::isAnchorOp(&op) || kiln::isElementwiseOp(&op)) &&
                 cur->getNumResults() == 1 && group.size() < kMaxKernelOps) {
            if (!cur->getResult(0).hasOneUse()) {
              SmallVector<Operation *> joined =
                  joiningConsumers(cur, grouped, kMaxKernelOps - group.size());
              if (joined.empty())
                break;
              group.append(joined);
              grouped.insert(joined.begin(), joined.end());
              cur = joined.back();
              continue;
            }
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
