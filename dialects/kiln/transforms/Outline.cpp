//===- Outline.cpp - shared by the passes that form kiln.kernel regions ---===//
#include "dialects/kiln/transforms/Outline.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SHA1.h"

using namespace mlir;

namespace kiln {

bool isAnchorOp(Operation *op) {
  return isa<tosa::Conv2DOp, tosa::Conv3DOp, tosa::DepthwiseConv2DOp, tosa::TransposeConv2DOp,
             tosa::MatMulOp, tosa::FullyConnectedOp, tosa::MaxPool2dOp, tosa::AvgPool2dOp,
             tosa::ReduceSumOp, tosa::ReduceMaxOp, tosa::ReduceMinOp, tosa::ReduceProdOp,
             tosa::ArgMaxOp>(op);
}

bool isElementwiseOp(Operation *op) {
  return isa<tosa::AddOp, tosa::SubOp, tosa::MulOp, tosa::MaximumOp, tosa::MinimumOp, tosa::PowOp,
             tosa::ClampOp, tosa::SigmoidOp, tosa::TanhOp, tosa::ExpOp, tosa::LogOp, tosa::NegateOp,
             tosa::AbsOp, tosa::ReciprocalOp, tosa::RsqrtOp, tosa::SelectOp, tosa::CastOp,
             tosa::FloorOp, tosa::CeilOp, tosa::ErfOp, tosa::GreaterOp, tosa::GreaterEqualOp,
             tosa::EqualOp>(op);
}

bool isConstantOp(Operation *op) { return isa<tosa::ConstOp, arith::ConstantOp>(op); }

bool isPointwiseConv(Operation *op) {
  auto conv = dyn_cast<tosa::Conv2DOp>(op);
  if (!conv)
    return false;
  ArrayRef<int64_t> w = cast<ShapedType>(conv.getWeight().getType()).getShape(); // [OC,KH,KW,IC]
  auto all = [](ArrayRef<int64_t> values, int64_t x) {
    return llvm::all_of(values, [&](int64_t v) { return v == x; });
  };
  return w.size() == 4 && w[1] == 1 && w[2] == 1 && all(conv.getPad(), 0) &&
         all(conv.getStride(), 1) && all(conv.getDilation(), 1);
}

std::string structuralHash(KernelOp kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.printGenericOpForm().useLocalScope().elideLargeElementsAttrs(0);
  for (BlockArgument arg : kernel.getBody().getArguments())
    os << arg.getType() << ";";
  // One numbering for the whole body: Operation::print(os, flags) would
  // number the kernel again for every op (quadratic: a 100,000-op kernel
  // took minutes).
  AsmState state(kernel, flags);
  for (Operation &op : kernel.getBody().front())
    op.print(os, state);
  llvm::SHA1 sha;
  sha.update(text);
  return llvm::toHex(sha.final(), /*LowerCase=*/true).substr(0, 16);
}

KernelOp outlineKernel(ArrayRef<Operation *> group, StringRef name) {
  llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
  llvm::SetVector<Value> inputs;
  SmallVector<Value> outputs;
  for (Operation *op : group) {
    for (Value operand : op->getOperands())
      if (!members.contains(operand.getDefiningOp()))
        inputs.insert(operand);
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) { return !members.contains(user); }))
        outputs.push_back(result);
  }

  Operation *last = group.back();
  OpBuilder builder(last->getContext());
  builder.setInsertionPointAfter(last);
  SmallVector<Type> resultTypes = llvm::to_vector(ValueRange(outputs).getTypes());
  auto kernel = builder.create<KernelOp>(last->getLoc(), resultTypes, name, inputs.getArrayRef(),
                                         /*hash=*/nullptr);
  Block *body = builder.createBlock(&kernel.getBody());
  IRMapping map;
  for (Value input : inputs)
    map.map(input, body->addArgument(input.getType(), input.getLoc()));
  for (Operation *op : group)
    builder.clone(*op, map);
  SmallVector<Value> yielded;
  for (Value out : outputs)
    yielded.push_back(map.lookup(out));
  builder.create<YieldOp>(last->getLoc(), yielded);

  for (auto [out, res] : llvm::zip(outputs, kernel.getResults()))
    out.replaceUsesWithIf(res, [&](OpOperand &use) { return !members.contains(use.getOwner()); });
  for (Operation *op : llvm::reverse(group))
    op->erase();
  kernel.setHashAttr(builder.getStringAttr(structuralHash(kernel)));
  return kernel;
}

} // namespace kiln
