//===- FuseBlocks.cpp - merge an inverted-residual block into one kernel --===//
//
// A chain [1x1 conv ->] depthwise -> 1x1 conv of single-use kernels becomes
// one kernel, so that the expanded intermediates never leave the cache: the
// codegen's `block` template computes them a strip of rows at a time. The
// chain is found from the project convolution backwards; the kernels are
// inlined back into the function and outlined again as one group, which
// keeps outlining (inputs, outputs, hash) in one place.
//
//===----------------------------------------------------------------------===//
#include "dialects/kiln/Passes.h"
#include "dialects/kiln/transforms/Outline.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace kiln {
#define GEN_PASS_DEF_KILNFUSEBLOCKSPASS
#include "dialects/kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

ArrayRef<int64_t> shapeOf(Value v) { return cast<ShapedType>(v.getType()).getShape(); }

bool isF32(Value v) { return cast<ShapedType>(v.getType()).getElementType().isF32(); }

bool allEqual(ArrayRef<int64_t> values, int64_t expected) {
  return llvm::all_of(values, [&](int64_t v) { return v == expected; });
}

// A float 1x1 convolution, which the block template tiles like a lone
// conv1x1 kernel.
bool isPointwise(Operation *op) {
  auto conv = dyn_cast<tosa::Conv2DOp>(op);
  return conv && isPointwiseConv(op) && !conv.getQuantizationInfo() && isF32(conv.getResult());
}

// A depthwise convolution the block template handles: one output channel
// per input channel, no dilation, stride 1 or 2 (MobileNetV2, BlazeFace).
bool isBlockDepthwise(Operation *op) {
  auto dw = dyn_cast<tosa::DepthwiseConv2DOp>(op);
  if (!dw || dw.getQuantizationInfo() || !isF32(dw.getResult()))
    return false;
  ArrayRef<int64_t> w = shapeOf(dw.getWeight()); // [KH, KW, C, M]
  return w.size() == 4 && w[3] == 1 && allEqual(dw.getDilation(), 1) &&
         llvm::all_of(dw.getStride(), [](int64_t s) { return s == 1 || s == 2; });
}

// The anchor of a kernel that is one anchor plus an elementwise epilogue of
// the anchor's shape and the epilogue's absorbed channel pads (what
// kiln-form-kernels makes), with a single result.
Operation *soleAnchor(KernelOp kernel) {
  if (kernel.getNumResults() != 1)
    return nullptr;
  Operation *anchor = nullptr;
  for (Operation &op : kernel.getBody().front().without_terminator()) {
    if (isAnchorOp(&op)) {
      if (anchor)
        return nullptr;
      anchor = &op;
      continue;
    }
    if (!isElementwiseOp(&op) && !isa<tosa::ConcatOp, tosa::PadOp>(op))
      return nullptr;
  }
  if (!anchor || shapeOf(anchor->getResult(0)) != shapeOf(kernel.getResult(0)))
    return nullptr;
  return anchor;
}

// The kernel whose result is `anchor`'s activation input and nothing else's.
KernelOp producerOf(KernelOp kernel, Operation *anchor) {
  auto arg = dyn_cast<BlockArgument>(anchor->getOperand(0));
  if (!arg || !arg.hasOneUse())
    return nullptr;
  Value value = kernel.getOperand(arg.getArgNumber());
  auto producer = value.getDefiningOp<KernelOp>();
  if (!producer || !value.hasOneUse() || producer->getBlock() != kernel->getBlock())
    return nullptr;
  return producer;
}

int64_t byteSize(Value v) {
  auto type = cast<ShapedType>(v.getType());
  return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
}

// Inlines each kernel of `chain` where it stands and outlines the ops again
// as one kernel.
void fuse(ArrayRef<KernelOp> chain, StringRef name) {
  SmallVector<Operation *> ops;
  for (KernelOp kernel : chain) {
    OpBuilder builder(kernel);
    IRMapping map;
    Block &body = kernel.getBody().front();
    for (auto [arg, operand] : llvm::zip(body.getArguments(), kernel.getOperands()))
      map.map(arg, operand);
    for (Operation &op : body.without_terminator())
      ops.push_back(builder.clone(op, map));
    for (auto [result, yielded] : llvm::zip(kernel.getResults(), kernel.getYield().getValues()))
      result.replaceAllUsesWith(map.lookup(yielded));
    kernel.erase();
  }
  outlineKernel(ops, name);
}

struct FuseBlocksPass : kiln::impl::KilnFuseBlocksPassBase<FuseBlocksPass> {
  using KilnFuseBlocksPassBase::KilnFuseBlocksPassBase;

  void runOnOperation() override {
    SmallVector<SmallVector<KernelOp>> chains;
    // A kernel joins one chain at most. In MobileNetV1-style nets (depthwise
    // -> 1x1 -> depthwise -> 1x1 ..., TF.js faceres and posenet) each 1x1
    // conv is both the project of one chain and the expand of the next:
    // fusing it twice erased it once and cloned it again (a crash). Chains
    // are claimed in program order, so the later one starts at its
    // depthwise.
    llvm::SmallPtrSet<Operation *, 16> claimed;
    getOperation().walk([&](KernelOp project) {
      Operation *projectConv = soleAnchor(project);
      if (!projectConv || !isPointwise(projectConv))
        return;
      KernelOp depthwise = producerOf(project, projectConv);
      Operation *dwConv = depthwise ? soleAnchor(depthwise) : nullptr;
      if (!dwConv || !isBlockDepthwise(dwConv))
        return;
      if (claimed.contains(depthwise) || claimed.contains(project))
        return;
      SmallVector<KernelOp> chain = {depthwise, project};
      if (KernelOp expand = producerOf(depthwise, dwConv); expand && !claimed.contains(expand))
        if (Operation *expandConv = soleAnchor(expand); expandConv && isPointwise(expandConv))
          chain.insert(chain.begin(), expand);
      int64_t largest = 0;
      for (KernelOp kernel : ArrayRef(chain).drop_back())
        largest = std::max(largest, byteSize(kernel.getResult(0)));
      if (largest < minBytes)
        return;
      for (KernelOp kernel : chain)
        claimed.insert(kernel);
      chains.push_back(std::move(chain));
    });
    for (auto &chain : chains)
      fuse(chain, ("block_" + chain.back().getKernelName()).str());
  }
};

} // namespace
