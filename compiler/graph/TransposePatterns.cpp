//===- TransposePatterns.cpp - local rewrites of tosa.transpose -----------===//
#include "compiler/graph/TransposePatterns.h"

#include "compiler/graph/ConstantUtils.h"
#include "compiler/graph/Permutation.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <numeric>

using namespace mlir;

namespace kiln {
namespace {

// transpose(transpose(x, p), q) -> transpose(x, p o q), or x if that is the
// identity: this is how a pair inserted by the importer cancels.
struct ComposeTransposes : OpRewritePattern<tosa::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::TransposeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput1().getDefiningOp<tosa::TransposeOp>();
    if (!inner)
      return failure();
    std::optional<Perm> outerPerm = getTransposePerm(op), innerPerm = getTransposePerm(inner);
    if (!outerPerm || !innerPerm)
      return failure();
    Perm composed = composePerms(*innerPerm, *outerPerm);
    if (isIdentityPerm(composed) && inner.getInput1().getType() == op.getType()) {
      rewriter.replaceOp(op, inner.getInput1());
      return success();
    }
    rewriter.replaceOp(op, createTranspose(rewriter, op.getLoc(), inner.getInput1(), composed));
    return success();
  }
};

struct RemoveIdentityTranspose : OpRewritePattern<tosa::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::TransposeOp op, PatternRewriter &rewriter) const override {
    std::optional<Perm> perm = getTransposePerm(op);
    if (!perm || !isIdentityPerm(*perm) || op.getInput1().getType() != op.getType())
      return failure();
    rewriter.replaceOp(op, op.getInput1());
    return success();
  }
};

// The weights of a conv arrive as constants; a transpose of one is just a
// new constant (kept as a blob when large).
struct FoldConstantTranspose : OpRewritePattern<tosa::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::TransposeOp op, PatternRewriter &rewriter) const override {
    auto constant = op.getInput1().getDefiningOp<tosa::ConstOp>();
    std::optional<Perm> perm = getTransposePerm(op);
    if (!constant || !perm)
      return failure();
    ElementsAttr folded = transposeConstant(constant.getValue(), *perm);
    if (!folded || folded.getType() != op.getType())
      return failure();
    rewriter.replaceOpWithNewOp<tosa::ConstOp>(op, op.getType(), folded);
    return success();
  }
};

// reshape(transpose(x, p)) == transpose(reshape(x, X'), r) when every group
// of dimensions the reshape merges or splits is contiguous and in order in x
// (unit dimensions aside). Returns X' and r, or nothing.
//
// Example: x = [1,H,W,C], p = [0,3,1,2] (NHWC to NCHW), reshape to [1,C,H*W]:
// the group {H,W} is contiguous in x, so X' = [H*W,1,C] and r = [1,2,0]; the
// transpose is now below the reshape, where it can meet its inverse.
std::optional<std::pair<SmallVector<int64_t>, Perm>>
planSinkThroughReshape(ArrayRef<int64_t> x, ArrayRef<int64_t> perm, ArrayRef<int64_t> out) {
  // Unit dimensions carry no data and would make the grouping ambiguous:
  // match the non-unit dimensions only.
  SmallVector<int64_t> squeezedPos(x.size(), -1);
  for (int64_t d = 0, s = 0; d < static_cast<int64_t>(x.size()); ++d)
    if (x[d] != 1)
      squeezedPos[d] = s++;
  SmallVector<int64_t> inDims, outDims; // x dims in transposed order; out dims
  for (int64_t p : perm)
    if (x[p] != 1)
      inDims.push_back(p);
  for (int64_t j = 0; j < static_cast<int64_t>(out.size()); ++j)
    if (out[j] != 1)
      outDims.push_back(j);

  struct Group {
    SmallVector<int64_t> xDims, outDims;
  };
  SmallVector<Group> groups;
  size_t i = 0, j = 0;
  while (i < inDims.size() && j < outDims.size()) {
    Group group;
    int64_t inSize = x[inDims[i]], outSize = out[outDims[j]];
    group.xDims.push_back(inDims[i++]);
    group.outDims.push_back(outDims[j++]);
    while (inSize != outSize) {
      if (inSize < outSize) {
        if (i == inDims.size())
          return std::nullopt;
        inSize *= x[inDims[i]];
        group.xDims.push_back(inDims[i++]);
      } else {
        if (j == outDims.size())
          return std::nullopt;
        outSize *= out[outDims[j]];
        group.outDims.push_back(outDims[j++]);
      }
    }
    groups.push_back(std::move(group));
  }
  if (i != inDims.size() || j != outDims.size() || groups.empty())
    return std::nullopt;
  for (const Group &group : groups)
    for (size_t k = 1; k < group.xDims.size(); ++k)
      if (squeezedPos[group.xDims[k]] != squeezedPos[group.xDims[k - 1]] + 1)
        return std::nullopt;

  // Each group owns a contiguous range of the output's dimensions: its
  // non-unit ones and the unit ones after them (leading ones go to the first).
  size_t numGroups = groups.size();
  SmallVector<int64_t> begin(numGroups), end(numGroups);
  for (size_t k = 0; k < numGroups; ++k)
    begin[k] = k == 0 ? 0 : groups[k].outDims.front();
  for (size_t k = 0; k < numGroups; ++k)
    end[k] = k + 1 < numGroups ? begin[k + 1] : out.size();

  // X' lists the groups in x's order; r puts them back in the output's order.
  SmallVector<size_t> order(numGroups);
  std::iota(order.begin(), order.end(), 0);
  llvm::sort(order, [&](size_t a, size_t b) {
    return squeezedPos[groups[a].xDims.front()] < squeezedPos[groups[b].xDims.front()];
  });
  SmallVector<int64_t> newShape;
  Perm r(out.size());
  for (size_t k : order) {
    int64_t offset = newShape.size();
    for (int64_t d = begin[k]; d < end[k]; ++d) {
      r[d] = offset + (d - begin[k]);
      newShape.push_back(out[d]);
    }
  }
  return std::make_pair(newShape, r);
}

struct SinkTransposeThroughReshape : OpRewritePattern<tosa::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::ReshapeOp op, PatternRewriter &rewriter) const override {
    auto transpose = op.getInput1().getDefiningOp<tosa::TransposeOp>();
    if (!transpose || !transpose->hasOneUse())
      return failure();
    std::optional<Perm> perm = getTransposePerm(transpose);
    auto xType = dyn_cast<RankedTensorType>(transpose.getInput1().getType());
    auto outType = dyn_cast<RankedTensorType>(op.getType());
    if (!perm || !xType || !outType || !xType.hasStaticShape() || !outType.hasStaticShape())
      return failure();
    auto plan = planSinkThroughReshape(xType.getShape(), *perm, outType.getShape());
    if (!plan)
      return failure();
    auto [newShape, r] = *plan;
    Value reshaped = rewriter.create<tosa::ReshapeOp>(op.getLoc(), outType.clone(newShape),
                                                      transpose.getInput1(),
                                                      rewriter.getDenseI64ArrayAttr(newShape));
    if (isIdentityPerm(r))
      rewriter.replaceOp(op, reshaped);
    else
      rewriter.replaceOp(op, createTranspose(rewriter, op.getLoc(), reshaped, r));
    return success();
  }
};

} // namespace

void populateTransposeFoldingPatterns(RewritePatternSet &patterns) {
  patterns.add<ComposeTransposes, RemoveIdentityTranspose, FoldConstantTranspose>(
      patterns.getContext());
}

void populateTransposeSinkingPatterns(RewritePatternSet &patterns) {
  patterns.add<SinkTransposeThroughReshape>(patterns.getContext());
}

} // namespace kiln
