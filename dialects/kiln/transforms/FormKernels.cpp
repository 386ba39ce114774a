//===- FormKernels.cpp - cut a TOSA graph into kiln.kernel regions --------===//
//
// Each kiln.kernel becomes one compiled function. Fusing an anchor (conv,
// matmul, pooling, reduction) with the elementwise ops that consume it alone
// keeps the intermediate in registers or cache instead of a round trip through
// memory, which is where an op-by-op runtime loses.
//
//===----------------------------------------------------------------------===//
#include "dialects/kiln/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SHA1.h"

namespace kiln {
#define GEN_PASS_DEF_KILNFORMKERNELSPASS
#include "dialects/kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool isAnchor(Operation *op) {
  return isa<tosa::Conv2DOp, tosa::Conv3DOp, tosa::DepthwiseConv2DOp, tosa::TransposeConv2DOp,
             tosa::MatMulOp, tosa::FullyConnectedOp, tosa::MaxPool2dOp, tosa::AvgPool2dOp,
             tosa::ReduceSumOp, tosa::ReduceMaxOp, tosa::ReduceMinOp, tosa::ReduceProdOp,
             tosa::ArgMaxOp>(op);
}

// Elementwise ops can be computed point by point inside their producer's loop
// nest, so they fuse into it for free.
bool isElementwise(Operation *op) {
  return isa<tosa::AddOp, tosa::SubOp, tosa::MulOp, tosa::MaximumOp, tosa::MinimumOp, tosa::PowOp,
             tosa::ClampOp, tosa::SigmoidOp, tosa::TanhOp, tosa::ExpOp, tosa::LogOp,
             tosa::NegateOp, tosa::AbsOp, tosa::ReciprocalOp, tosa::RsqrtOp, tosa::SelectOp,
             tosa::CastOp, tosa::FloorOp, tosa::CeilOp, tosa::ErfOp, tosa::GreaterOp,
             tosa::GreaterEqualOp, tosa::EqualOp>(op);
}

// Constants stay outside kernels: they become the kernel's weight inputs.
bool isConstant(Operation *op) { return isa<tosa::ConstOp, arith::ConstantOp>(op); }

bool isCompute(Operation *op) {
  return op->getDialect() && op->getDialect()->getNamespace() == "tosa" && !isConstant(op);
}

// The structural hash: the body printed in generic form with local names. Two
// kernels with equal ops, attributes, shapes and types print the same text.
std::string structuralHash(kiln::KernelOp kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.printGenericOpForm().useLocalScope().elideLargeElementsAttrs(0);
  for (BlockArgument arg : kernel.getBody().getArguments())
    os << arg.getType() << ";";
  for (Operation &op : kernel.getBody().front())
    op.print(os, flags);
  llvm::SHA1 sha;
  sha.update(text);
  return llvm::toHex(sha.final(), /*LowerCase=*/true).substr(0, 16);
}

// Moves `group` (ops of one block, in order) into a new kiln.kernel placed
// where the last op was. Every escaping value must be used after that point,
// which holds for the chains this pass forms.
void outline(ArrayRef<Operation *> group, StringRef name) {
  llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
  llvm::SetVector<Value> inputs;
  SmallVector<Value> outputs;
  for (Operation *op : group) {
    for (Value operand : op->getOperands())
      if (!members.contains(operand.getDefiningOp()))
        inputs.insert(operand);
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(),
                       [&](Operation *user) { return !members.contains(user); }))
        outputs.push_back(result);
  }

  Operation *last = group.back();
  OpBuilder builder(last->getContext());
  builder.setInsertionPointAfter(last);
  SmallVector<Type> resultTypes = llvm::to_vector(ValueRange(outputs).getTypes());
  auto kernel = builder.create<kiln::KernelOp>(last->getLoc(), resultTypes, name,
                                               inputs.getArrayRef(), /*hash=*/nullptr);
  Block *body = builder.createBlock(&kernel.getBody());
  IRMapping map;
  for (Value input : inputs)
    map.map(input, body->addArgument(input.getType(), input.getLoc()));
  for (Operation *op : group)
    builder.clone(*op, map);
  SmallVector<Value> yielded;
  for (Value out : outputs)
    yielded.push_back(map.lookup(out));
  builder.create<kiln::YieldOp>(last->getLoc(), yielded);

  for (auto [out, res] : llvm::zip(outputs, kernel.getResults()))
    out.replaceUsesWithIf(res, [&](OpOperand &use) { return !members.contains(use.getOwner()); });
  for (Operation *op : llvm::reverse(group))
    op->erase();
  kernel.setHashAttr(builder.getStringAttr(structuralHash(kernel)));
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
        while ((isAnchor(&op) || isElementwise(&op)) && cur->getNumResults() == 1 &&
               cur->getResult(0).hasOneUse()) {
          Operation *user = *cur->getResult(0).getUsers().begin();
          if (user->getBlock() != &block || !isElementwise(user) || grouped.contains(user))
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
      outline(group, name);
    }
  }
};

} // namespace
