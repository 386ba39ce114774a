//===- PropagateLayout.cpp - move transposes out of the graph -------------===//
//
// The importer wraps every NHWC op in transposes, so the graph alternates
// between layouts at every conv. Rather than pushing single transposes around
// with local rules (which can ping-pong between two operands), each connected
// region of layout-agnostic ops picks one layout for all its values: the
// permutation that leaves the fewest transposes on the region's edges, among
// those that cancel one of its edge transposes. Rewriting a region is always
// exact, whatever the choice; the count only decides whether it pays. Local
// folding then merges the transposes the rewrite left at the edges with their
// neighbours, and the next round sees the merged regions. A region changes
// only when that strictly lowers its estimated count, so rounds settle fast;
// they are capped all the same, since estimates of neighbours interact.
//
//===----------------------------------------------------------------------===//
#include "compiler/graph/Passes.h"

#include "compiler/graph/ConstantUtils.h"
#include "compiler/graph/Permutation.h"
#include "compiler/graph/TransposePatterns.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/EquivalenceClasses.h"

#include <numeric>
#include <set>
#include <tuple>

namespace kiln {
#define GEN_PASS_DEF_KILNPROPAGATELAYOUTPASS
#include "compiler/graph/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

constexpr int kMaxRounds = 8;

bool isElementwise(Operation *op) {
  return isa<tosa::AddOp, tosa::SubOp, tosa::MulOp, tosa::IntDivOp, tosa::PowOp, tosa::MaximumOp,
             tosa::MinimumOp, tosa::ClampOp, tosa::SigmoidOp, tosa::TanhOp, tosa::ErfOp,
             tosa::ExpOp, tosa::LogOp, tosa::NegateOp, tosa::AbsOp, tosa::ReciprocalOp,
             tosa::RsqrtOp, tosa::FloorOp, tosa::CeilOp, tosa::SinOp, tosa::CosOp, tosa::CastOp,
             tosa::SelectOp, tosa::EqualOp, tosa::GreaterOp, tosa::GreaterEqualOp,
             tosa::LogicalAndOp, tosa::LogicalOrOp, tosa::LogicalXorOp, tosa::LogicalNotOp,
             tosa::IdentityOp>(op);
}

// The operands of `op` that share its result's layout, or nothing if the op
// cannot take another layout (convs and pools are NHWC by definition; matmul,
// reshape and the like fix theirs).
std::optional<SmallVector<unsigned>> layoutOperands(Operation *op) {
  if (op->getNumResults() != 1 || op->getNumRegions() != 0)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 2)
    return std::nullopt;
  SmallVector<unsigned> operands;
  if (isElementwise(op) ||
      isa<tosa::ConcatOp, tosa::ReduceSumOp, tosa::ReduceMaxOp, tosa::ReduceMinOp,
          tosa::ReduceProdOp, tosa::ReduceAllOp, tosa::ReduceAnyOp, tosa::ReverseOp, tosa::SliceOp,
          tosa::TileOp>(op)) {
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      operands.push_back(i);
  } else if (auto pad = dyn_cast<tosa::PadOp>(op)) {
    // The paddings are permuted with the data, so they must be constant.
    DenseIntElementsAttr paddings;
    if (!matchPattern(pad.getPadding(), m_Constant(&paddings)) ||
        paddings.getNumElements() != 2 * type.getRank())
      return std::nullopt;
    operands.push_back(0);
  } else {
    return std::nullopt;
  }
  for (unsigned i : operands) {
    auto operandType = dyn_cast<RankedTensorType>(op->getOperand(i).getType());
    if (!operandType || operandType.getRank() != type.getRank())
      return std::nullopt;
  }
  return operands;
}

bool isFoldableConstant(Value value) {
  auto constant = value.getDefiningOp<tosa::ConstOp>();
  return constant && isReadableConstant(constant.getValue());
}

std::optional<Perm> transposePermOf(Operation *op) {
  if (auto transpose = dyn_cast_or_null<tosa::TransposeOp>(op))
    return getTransposePerm(transpose);
  return std::nullopt;
}

struct Region {
  SmallVector<Operation *> ops; // in block order, hence topological
  llvm::SmallPtrSet<Operation *, 16> members;
  int64_t rank = 0;
};

// What a layout costs a region: the transposes left on its edges, counted
// once per (value, perm), and among them those inside the graph rather than
// at its arguments and results. Fewer is better, then fewer inside: a
// transpose at the interface keeps the interior free for kernel fusion.
struct Cost {
  int64_t total = 0, interior = 0;
  bool operator<(const Cost &other) const {
    return std::tie(total, interior) < std::tie(other.total, other.interior);
  }
};

// True if `source` already has a transpose by `perm` that stays because
// something outside the region uses it: a transpose the region needs by the
// same perm is then shared (CSE), not new.
bool hasSharedTranspose(Value source, ArrayRef<int64_t> perm, const Region &region) {
  return llvm::any_of(source.getUsers(), [&](Operation *user) {
    std::optional<Perm> p = transposePermOf(user);
    return p && ArrayRef<int64_t>(*p) == perm && user->getOperand(0) == source &&
           llvm::any_of(user->getUsers(),
                        [&](Operation *next) { return !region.members.contains(next); });
  });
}

// True if `user` is a function's return, or a transpose that only feeds one:
// a transpose there is part of the interface layout.
bool feedsReturn(Operation *user) {
  if (user->hasTrait<OpTrait::ReturnLike>())
    return true;
  return isa<tosa::TransposeOp>(user) && !user->use_empty() &&
         llvm::all_of(user->getUsers(),
                      [](Operation *next) { return next->hasTrait<OpTrait::ReturnLike>(); });
}

// The cost of giving the region's values layout `q` (physical dim i =
// logical dim q[i]).
Cost edgeCost(const Region &region, ArrayRef<int64_t> q) {
  std::set<std::pair<const void *, std::vector<int64_t>>> needed;
  Cost cost;
  auto need = [&](Value value, ArrayRef<int64_t> perm, bool atInterface) {
    if (needed.insert({value.getAsOpaquePointer(), std::vector<int64_t>(perm.begin(), perm.end())})
            .second) {
      ++cost.total;
      cost.interior += !atInterface;
    }
  };
  Perm qInverse = invertPerm(q);
  for (Operation *op : region.ops) {
    SmallVector<unsigned> operands = *layoutOperands(op);
    for (unsigned i : operands) {
      Value operand = op->getOperand(i);
      if (region.members.contains(operand.getDefiningOp()) || isFoldableConstant(operand))
        continue;
      Value source = operand;
      Perm composed(q.begin(), q.end());
      if (std::optional<Perm> p = transposePermOf(operand.getDefiningOp())) {
        source = operand.getDefiningOp()->getOperand(0);
        composed = composePerms(*p, q);
      }
      if (!isIdentityPerm(composed) && !hasSharedTranspose(source, composed, region))
        need(source, composed, isa<BlockArgument>(source));
    }
    Value result = op->getResult(0);
    for (OpOperand &use : result.getUses()) {
      Operation *user = use.getOwner();
      if (region.members.contains(user))
        continue;
      std::optional<Perm> s = transposePermOf(user);
      Perm composed = s ? composePerms(qInverse, *s) : qInverse;
      if (!isIdentityPerm(composed))
        need(result, composed, feedsReturn(user));
    }
  }
  return cost;
}

// Gives every value of the region the layout `q`: each op is cloned onto
// physical operands (outside values enter through a transpose by q, which
// folding then merges) and its layout attributes remapped; uses outside the
// region get the logical value back through a transpose by q^-1.
void relayout(const Region &region, ArrayRef<int64_t> q) {
  Perm qInverse = invertPerm(q);
  DenseMap<Value, Value> physical;
  OpBuilder builder(region.ops.front()->getContext());
  for (Operation *op : region.ops) {
    builder.setInsertionPoint(op);
    // Operands first, so that the transposes they need precede the clone.
    SmallVector<unsigned> operands = *layoutOperands(op);
    SmallVector<Value> newOperands;
    for (unsigned i : operands) {
      Value operand = op->getOperand(i);
      auto it = physical.find(operand);
      newOperands.push_back(
          it != physical.end() ? it->second : createTranspose(builder, op->getLoc(), operand, q));
    }
    Operation *clone = builder.clone(*op);
    for (auto [i, value] : llvm::zip(operands, newOperands))
      clone->setOperand(i, value);
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    clone->getResult(0).setType(type.clone(permuteShape(type.getShape(), q)));

    // Attributes that name dimensions: an axis moves to where q put it; per
    // dimension lists are permuted like the shape.
    if (auto axis = op->getAttrOfType<IntegerAttr>("axis"))
      clone->setAttr("axis", builder.getI32IntegerAttr(qInverse[axis.getInt()]));
    for (StringRef name : {"start", "size", "multiples"})
      if (auto list = op->getAttrOfType<DenseI64ArrayAttr>(name))
        clone->setAttr(name, builder.getDenseI64ArrayAttr(permuteShape(list.asArrayRef(), q)));
    if (auto pad = dyn_cast<tosa::PadOp>(op)) {
      DenseIntElementsAttr paddings;
      matchPattern(pad.getPadding(), m_Constant(&paddings));
      SmallVector<APInt> rows(paddings.getValues<APInt>());
      SmallVector<APInt> permuted;
      for (int64_t d : q)
        permuted.append({rows[2 * d], rows[2 * d + 1]});
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPoint(clone);
      Value newPaddings =
          builder.create<tosa::ConstOp>(op->getLoc(), paddings.getType(),
                                        DenseIntElementsAttr::get(paddings.getType(), permuted));
      clone->setOperand(1, newPaddings);
    }
    physical[op->getResult(0)] = clone->getResult(0);
  }

  for (Operation *op : region.ops) {
    Value logical = op->getResult(0);
    if (llvm::all_of(logical.getUsers(),
                     [&](Operation *user) { return region.members.contains(user); }))
      continue;
    Value phys = physical[logical];
    builder.setInsertionPointAfterValue(phys);
    Value back = createTranspose(builder, op->getLoc(), phys, qInverse);
    logical.replaceUsesWithIf(
        back, [&](OpOperand &use) { return !region.members.contains(use.getOwner()); });
  }
  for (Operation *op : llvm::reverse(region.ops))
    op->erase();
}

// One round: finds the regions, rewrites those that a layout improves.
bool relayoutRegions(func::FuncOp func) {
  bool changed = false;
  for (Block &block : func.getBody()) {
    llvm::EquivalenceClasses<Operation *> classes;
    SmallVector<Operation *> agnostic;
    for (Operation &op : block)
      if (layoutOperands(&op)) {
        classes.insert(&op);
        agnostic.push_back(&op);
      }
    for (Operation *op : agnostic) {
      SmallVector<unsigned> operands = *layoutOperands(op);
      for (unsigned i : operands) {
        Operation *producer = op->getOperand(i).getDefiningOp();
        if (producer && producer->getBlock() == &block &&
            classes.findValue(producer) != classes.end())
          classes.unionSets(op, producer);
      }
    }
    DenseMap<Operation *, unsigned> regionOf;
    SmallVector<Region> regions;
    for (Operation *op : agnostic) {
      Operation *leader = classes.getLeaderValue(op);
      auto [it, inserted] = regionOf.try_emplace(leader, regions.size());
      if (inserted)
        regions.emplace_back();
      Region &region = regions[it->second];
      region.ops.push_back(op);
      region.members.insert(op);
      region.rank = cast<RankedTensorType>(op->getResult(0).getType()).getRank();
    }

    for (Region &region : regions) {
      // Candidates: the layouts that cancel one of the edge transposes.
      SmallVector<Perm> candidates;
      for (Operation *op : region.ops) {
        SmallVector<unsigned> operands = *layoutOperands(op);
        for (unsigned i : operands)
          if (std::optional<Perm> p = transposePermOf(op->getOperand(i).getDefiningOp()))
            if (!region.members.contains(op->getOperand(i).getDefiningOp()))
              candidates.push_back(invertPerm(*p));
        for (Operation *user : op->getResult(0).getUsers())
          if (std::optional<Perm> s = transposePermOf(user))
            candidates.push_back(*s);
      }
      Perm identity(region.rank);
      std::iota(identity.begin(), identity.end(), 0);
      Cost bestCost = edgeCost(region, identity);
      std::optional<Perm> best;
      for (const Perm &q : candidates) {
        if (static_cast<int64_t>(q.size()) != region.rank || isIdentityPerm(q))
          continue;
        Cost cost = edgeCost(region, q);
        if (cost < bestCost) {
          bestCost = cost;
          best = q;
        }
      }
      if (best) {
        relayout(region, *best);
        changed = true;
      }
    }
  }
  return changed;
}

struct PropagateLayoutPass : kiln::impl::KilnPropagateLayoutPassBase<PropagateLayoutPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    RewritePatternSet patternList(&getContext());
    populateTransposeFoldingPatterns(patternList);
    populateTransposeSinkingPatterns(patternList);
    FrozenRewritePatternSet patterns(std::move(patternList));
    // Not converging within the driver's iteration limit leaves valid IR
    // with some transposes unmerged: not an error.
    auto fold = [&]() { (void)applyPatternsAndFoldGreedily(func, patterns); };

    fold();
    for (int round = 0; round < kMaxRounds && relayoutRegions(func); ++round)
      fold();

    // What is left and only moves unit dimensions is a reshape (upstream's
    // canonicalization says so); reshape pairs then merge.
    RewritePatternSet finalPatterns(&getContext());
    populateTransposeFoldingPatterns(finalPatterns);
    tosa::TransposeOp::getCanonicalizationPatterns(finalPatterns, &getContext());
    (void)applyPatternsAndFoldGreedily(func, std::move(finalPatterns));
  }
};

} // namespace
