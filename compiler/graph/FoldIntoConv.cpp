//===- FoldIntoConv.cpp - fold BatchNorm and bias adds into convolutions --===//
//
// conv(x, W, b) * s + t == conv(x, W * s, b * s + t) when s and t are
// per-output-channel constants: the scale is linear in the weights. Folding
// saves a full pass over the activation per op and leaves the kernel former a
// plain conv + activation to fuse.
//
//===----------------------------------------------------------------------===//
#include "compiler/graph/Passes.h"

#include "compiler/graph/ConstantUtils.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_KILNFOLDINTOCONVPASS
#include "compiler/graph/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

// The constant `value` as one number per output channel, if it varies along
// the last dimension of a `result`-shaped tensor only (or not at all).
std::optional<std::vector<double>> perChannel(Value value, RankedTensorType result) {
  auto constant = value.getDefiningOp<tosa::ConstOp>();
  if (!constant)
    return std::nullopt;
  auto type = cast<ShapedType>(constant.getType());
  int64_t channels = result.getShape().back();
  if (!type.hasStaticShape() || type.getRank() > result.getRank())
    return std::nullopt;
  ArrayRef<int64_t> shape = type.getShape();
  for (int64_t d = 0; d + 1 < type.getRank(); ++d)
    if (shape[d] != 1)
      return std::nullopt;
  int64_t last = type.getRank() ? shape.back() : 1;
  if (last != 1 && last != channels)
    return std::nullopt;
  std::optional<std::vector<double>> values = readAsDoubles(constant.getValue());
  if (!values)
    return std::nullopt;
  if (last == 1)
    values->assign(channels, values->front());
  return values;
}

// The output channel of each weight element, by the TOSA filter layouts:
// conv2d and transpose_conv2d [O, KH, KW, I], depthwise [KH, KW, C, M] with
// output channel c * M + m.
int64_t channelOf(Operation *conv, ShapedType weights, int64_t index) {
  ArrayRef<int64_t> shape = weights.getShape();
  if (isa<tosa::DepthwiseConv2DOp>(conv))
    return index % (shape[2] * shape[3]);
  return index / (shape[1] * shape[2] * shape[3]);
}

int64_t outputChannels(Operation *conv, ShapedType weights) {
  ArrayRef<int64_t> shape = weights.getShape();
  return isa<tosa::DepthwiseConv2DOp>(conv) ? shape[2] * shape[3] : shape[0];
}

struct FoldIntoConv : RewritePattern {
  FoldIntoConv(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isa<tosa::MulOp, tosa::AddOp, tosa::SubOp>(op))
      return failure();
    if (auto mul = dyn_cast<tosa::MulOp>(op); mul && mul.getShift() != 0)
      return failure();
    // Find the conv operand; the other must be a per-channel constant.
    for (unsigned convIndex : {0u, 1u}) {
      Operation *conv = op->getOperand(convIndex).getDefiningOp();
      if (!conv || !isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::TransposeConv2DOp>(conv) ||
          !conv->getResult(0).hasOneUse() || conv->getAttr("quantization_info"))
        continue;
      auto resultType = cast<RankedTensorType>(conv->getResult(0).getType());
      if (op->getResult(0).getType() != resultType || !isa<FloatType>(resultType.getElementType()))
        continue;
      std::optional<std::vector<double>> operand =
          perChannel(op->getOperand(1 - convIndex), resultType);
      auto weightsOp = conv->getOperand(1).getDefiningOp<tosa::ConstOp>();
      auto biasOp = conv->getOperand(2).getDefiningOp<tosa::ConstOp>();
      if (!operand || !weightsOp || !biasOp)
        continue;
      // The filter's output channels must be the result's (IR that passed
      // the verifier may still disagree; leave it alone then).
      auto weightsType = cast<ShapedType>(weightsOp.getType());
      if (!weightsType.hasStaticShape() || weightsType.getRank() != 4 ||
          !isa<FloatType>(weightsType.getElementType()) ||
          !isa<FloatType>(getElementTypeOrSelf(biasOp.getType())) ||
          outputChannels(conv, weightsType) != resultType.getShape().back())
        continue;
      std::optional<std::vector<double>> weights = readAsDoubles(weightsOp.getValue());
      std::optional<std::vector<double>> bias = readAsDoubles(biasOp.getValue());
      if (!weights || !bias)
        continue;

      // result = conv * scale + shift, per channel.
      int64_t channels = resultType.getShape().back();
      std::vector<double> scale(channels, 1.0), shift(channels, 0.0);
      if (isa<tosa::MulOp>(op))
        scale = *operand;
      else if (isa<tosa::AddOp>(op))
        shift = *operand;
      else if (convIndex == 0) // conv - t
        for (int64_t c = 0; c < channels; ++c)
          shift[c] = -(*operand)[c];
      else { // t - conv
        scale.assign(channels, -1.0);
        shift = *operand;
      }
      if (bias->size() != 1 && static_cast<int64_t>(bias->size()) != channels)
        continue;
      std::vector<double> newBias(channels);
      for (int64_t c = 0; c < channels; ++c)
        newBias[c] = (*bias)[bias->size() == 1 ? 0 : c] * scale[c] + shift[c];

      rewriter.setInsertionPoint(conv);
      if (llvm::any_of(scale, [](double s) { return s != 1.0; })) {
        for (int64_t k = 0, n = weights->size(); k < n; ++k)
          (*weights)[k] *= scale[channelOf(conv, weightsType, k)];
        ElementsAttr attr = makeFloatConstant(weightsType, *weights, "kiln_folded_weights");
        Value newWeights = rewriter.create<tosa::ConstOp>(weightsOp.getLoc(), weightsType, attr);
        rewriter.modifyOpInPlace(conv, [&] { conv->setOperand(1, newWeights); });
      }
      auto biasType = cast<RankedTensorType>(biasOp.getType()).clone({channels});
      ElementsAttr biasAttr = makeFloatConstant(biasType, newBias, "kiln_folded_bias");
      Value newBiasValue = rewriter.create<tosa::ConstOp>(biasOp.getLoc(), biasType, biasAttr);
      rewriter.modifyOpInPlace(conv, [&] { conv->setOperand(2, newBiasValue); });
      rewriter.replaceOp(op, conv->getResults());
      return success();
    }
    return failure();
  }
};

struct FoldIntoConvPass : kiln::impl::KilnFoldIntoConvPassBase<FoldIntoConvPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoConv>(&getContext());
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
