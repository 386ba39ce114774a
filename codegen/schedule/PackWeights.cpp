//===- PackWeights.cpp - constant weights in the layout codegen reads -----===//
//
// Codegen vectorises convolutions and matmuls over output channels, and
// TOSA's weight layouts put those outermost: every vector of weights would
// be a gather. Transposing constant weights once, at compile time, turns
// them into plain vector loads (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//
#include "codegen/schedule/Passes.h"

#include "compiler/graph/ConstantUtils.h"
#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_KILNPACKWEIGHTSPASS
#include "codegen/schedule/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct Packing {
  unsigned operand;                // which operand of the op is the weight
  SmallVector<int64_t> toPacked;   // TOSA layout -> packed layout
  SmallVector<int64_t> fromPacked; // packed layout -> TOSA layout
};

std::optional<Packing> packingFor(Operation *op) {
  // conv2d and transpose_conv2d weights are [OC, KH, KW, IC] -> [KH, KW, IC, OC].
  if (isa<tosa::Conv2DOp, tosa::TransposeConv2DOp>(op))
    return Packing{1, {1, 2, 3, 0}, {3, 0, 1, 2}};
  // fully_connected weights are [OC, IC] -> [IC, OC].
  if (isa<tosa::FullyConnectedOp>(op))
    return Packing{1, {1, 0}, {1, 0}};
  return std::nullopt;
}

struct PackWeightsPass : kiln::impl::KilnPackWeightsPassBase<PackWeightsPass> {
  void runOnOperation() override {
    // One packed copy per (constant, layout), shared by every kernel using it.
    DenseMap<std::pair<Operation *, unsigned>, tosa::ConstOp> packed;
    getOperation().walk([&](kiln::KernelOp kernel) {
      Block &body = kernel.getBody().front();
      for (Operation &op : llvm::make_early_inc_range(body)) {
        std::optional<Packing> packing = packingFor(&op);
        if (!packing)
          continue;
        auto arg = dyn_cast<BlockArgument>(op.getOperand(packing->operand));
        if (!arg || !arg.hasOneUse())
          continue;
        auto source = kernel.getInputs()[arg.getArgNumber()].getDefiningOp<tosa::ConstOp>();
        if (!source)
          continue;
        auto key = std::make_pair(source.getOperation(), unsigned(packing->toPacked.size()));
        tosa::ConstOp packedConst = packed.lookup(key);
        if (!packedConst) {
          ElementsAttr data = kiln::transposeConstant(source.getValue(), packing->toPacked);
          if (!data)
            continue; // unreadable (elided) data: leave the layout alone
          OpBuilder outside(source);
          outside.setInsertionPointAfter(source);
          packedConst = outside.create<tosa::ConstOp>(source.getLoc(), data.getType(), data);
          packed[key] = packedConst;
        }
        Type tosaType = arg.getType();
        kernel->setOperand(arg.getArgNumber(), packedConst);
        arg.setType(packedConst.getType());

        OpBuilder inside(&op);
        SmallVector<int32_t> perms(packing->fromPacked.begin(), packing->fromPacked.end());
        auto permsType = RankedTensorType::get({int64_t(perms.size())}, inside.getI32Type());
        auto permsConst = inside.create<tosa::ConstOp>(
            op.getLoc(), permsType, DenseIntElementsAttr::get(permsType, ArrayRef(perms)));
        auto back = inside.create<tosa::TransposeOp>(op.getLoc(), tosaType, arg, permsConst);
        op.setOperand(packing->operand, back);
      }
    });
    // Originals that only the kernels read are dead now.
    for (auto &[key, packedConst] : packed)
      if (key.first->use_empty())
        key.first->erase();
  }
};

} // namespace
