//===- FoldConstants.cpp - evaluate TOSA ops on constant operands ---------===//
//
// Importers leave arithmetic on constants behind (shape subgraphs, weights
// rescaled or transposed at load time in the model). Upstream TOSA folding
// reads inline dense attributes only; Kiln's weights are dense_resource
// blobs, so folding goes through ConstantUtils, which reads both.
//
//===----------------------------------------------------------------------===//
#include "compiler/graph/Passes.h"

#include "compiler/graph/ConstantUtils.h"
#include "compiler/graph/ConstantEval.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_KILNFOLDCONSTANTSPASS
#include "compiler/graph/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct FoldConstantOp : RewritePattern {
  FoldConstantOp(MLIRContext *context, int64_t maxElements)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context), maxElements(maxElements) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isEvaluableOp(op) || op->getNumResults() != 1)
      return failure();
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType || !resultType.hasStaticShape())
      return failure();
    SmallVector<ElementsAttr> operands;
    int64_t largestOperand = 0;
    for (Value operand : op->getOperands()) {
      auto constant = operand.getDefiningOp<tosa::ConstOp>();
      if (!constant || !isReadableConstant(constant.getValue()))
        return failure();
      operands.push_back(constant.getValue());
      largestOperand = std::max(largestOperand, operands.back().getShapedType().getNumElements());
    }
    // A broadcast can turn small constants into a large one: fold it only
    // while it stays small, since the op itself costs nothing to keep.
    int64_t resultSize = resultType.getNumElements();
    if (resultSize > maxElements && resultSize > largestOperand)
      return failure();
    ElementsAttr folded = evaluateConstantOp(op, operands);
    if (!folded)
      return failure();
    rewriter.replaceOpWithNewOp<tosa::ConstOp>(op, resultType, folded);
    return success();
  }

  int64_t maxElements;
};

struct FoldConstantsPass : kiln::impl::KilnFoldConstantsPassBase<FoldConstantsPass> {
  using KilnFoldConstantsPassBase::KilnFoldConstantsPassBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldConstantOp>(&getContext(), maxElements);
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
