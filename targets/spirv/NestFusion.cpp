//===- NestFusion.cpp - fewer dispatches per kernel -----------------------===//
#include "targets/spirv/NestFusion.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace kiln::spirv {

namespace {

/// A nest that writes every element of a box of a buffer once: the box's
/// dimension d is [offset[d], offset[d] + extent[d]), walked by induction
/// variable iv[d] (or a single constant index when iv[d] < 0).
struct Writer {
  scf::ParallelOp nest;
  memref::StoreOp store;
  SmallVector<int> iv;
  SmallVector<int64_t> offset, extent;
};

/// `v` as induction variable k of `nest` plus a constant: (k, c); a constant
/// alone is (-1, c).
std::optional<std::pair<int, int64_t>> ivPlusConstant(Value v, scf::ParallelOp nest) {
  auto position = [&](Value x) -> int {
    for (auto [k, iv] : llvm::enumerate(nest.getInductionVars()))
      if (iv == x)
        return int(k);
    return -1;
  };
  if (int k = position(v); k >= 0)
    return std::make_pair(k, int64_t(0));
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return std::make_pair(-1, *c);
  if (auto apply = v.getDefiningOp<affine::AffineApplyOp>()) {
    AffineMap map = apply.getAffineMap();
    if (map.getNumResults() != 1 || apply.getMapOperands().size() != 1)
      return std::nullopt;
    int k = position(apply.getMapOperands()[0]);
    AffineExpr e = map.getResult(0);
    auto isVar = [](AffineExpr x) { return isa<AffineDimExpr, AffineSymbolExpr>(x); };
    if (k < 0)
      return std::nullopt;
    if (isVar(e))
      return std::make_pair(k, int64_t(0));
    auto sum = dyn_cast<AffineBinaryOpExpr>(e);
    if (!sum || sum.getKind() != AffineExprKind::Add || !isVar(sum.getLHS()))
      return std::nullopt;
    if (auto c = dyn_cast<AffineConstantExpr>(sum.getRHS()))
      return std::make_pair(k, c.getValue());
    return std::nullopt;
  }
  if (auto add = v.getDefiningOp<arith::AddIOp>()) {
    std::optional<int64_t> c = getConstantIntValue(add.getRhs());
    int k = position(add.getLhs());
    if (c && k >= 0)
      return std::make_pair(k, *c);
  }
  return std::nullopt;
}

/// `store` as a box writer, if its nest writes nothing else and reads
/// nothing of `buffer`.
std::optional<Writer> asWriter(memref::StoreOp store, Value buffer) {
  auto nest = dyn_cast<scf::ParallelOp>(store->getParentOp());
  if (!nest || nest->getParentOp() != buffer.getParentBlock()->getParentOp())
    return std::nullopt;
  Writer w{nest, store, {}, {}, {}};
  for (auto [lb, step] : llvm::zip(nest.getLowerBound(), nest.getStep()))
    if (getConstantIntValue(lb) != 0 || getConstantIntValue(step) != 1)
      return std::nullopt;
  bool alone = true;
  nest.walk([&](Operation *op) {
    if (op == store.getOperation() || op == nest.getOperation() || isa<scf::ReduceOp>(op))
      return;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (baseBuffer(load.getMemRef()) == buffer)
        alone = false;
      return;
    }
    if (!isMemoryEffectFree(op) && op->getNumRegions() == 0)
      alone = false;
  });
  if (!alone)
    return std::nullopt;
  auto shape = store.getMemRefType().getShape();
  SmallVector<bool> used(nest.getNumLoops(), false);
  for (auto [d, index] : llvm::enumerate(store.getIndices())) {
    auto form = ivPlusConstant(index, nest);
    if (!form)
      return std::nullopt;
    auto [k, c] = *form;
    int64_t extent = 1;
    if (k >= 0) {
      std::optional<int64_t> ub = getConstantIntValue(nest.getUpperBound()[k]);
      if (!ub || used[k])
        return std::nullopt;
      used[k] = true;
      extent = *ub;
    }
    if (c < 0 || c + extent > shape[d])
      return std::nullopt;
    w.iv.push_back(k);
    w.offset.push_back(c);
    w.extent.push_back(extent);
  }
  if (!llvm::all_of(used, [](bool u) { return u; }))
    return std::nullopt;
  return w;
}

/// The value `w` stored at `indices` (clamped into its box) and whether
/// `indices` is in the box (null when it always is), built before `at`.
std::pair<Value, Value> writerValueAt(Writer &w, ValueRange indices, OpBuilder &b, Location loc) {
  auto shape = w.store.getMemRefType().getShape();
  auto constant = [&](int64_t c) { return b.create<arith::ConstantIndexOp>(loc, c).getResult(); };
  Value inside;
  auto both = [&](Value c) { inside = inside ? b.create<arith::AndIOp>(loc, inside, c) : c; };
  IRMapping map;
  for (auto [d, j] : llvm::enumerate(indices)) {
    int64_t lo = w.offset[d], extent = w.extent[d];
    bool whole = lo == 0 && extent == shape[d];
    if (w.iv[d] < 0) {
      if (!whole)
        both(b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, j, constant(lo)));
      continue;
    }
    Value shifted = lo == 0 ? j : b.create<arith::SubIOp>(loc, j, constant(lo)).getResult();
    if (!whole) {
      Value zero = constant(0), last = constant(extent - 1);
      both(b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, shifted, zero));
      both(b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, shifted, last));
      // Outside the box the load still happens, at a clamped index: no
      // out-of-bounds access, no branch.
      shifted = b.create<arith::MinSIOp>(loc, b.create<arith::MaxSIOp>(loc, shifted, zero), last);
    }
    map.map(w.nest.getInductionVars()[w.iv[d]], shifted);
  }
  for (Operation &op : w.nest.getBody()->without_terminator())
    if (&op != w.store.getOperation())
      b.clone(op, map);
  return {map.lookupOrDefault(w.store.getValueToStore()), inside};
}

bool virtualize(memref::AllocOp alloc) {
  Value buffer = alloc.getResult();
  SmallVector<Writer> writers;
  SmallVector<memref::LoadOp> loads;
  for (Operation *user : buffer.getUsers()) {
    if (auto store = dyn_cast<memref::StoreOp>(user)) {
      std::optional<Writer> w = asWriter(store, buffer);
      if (!w)
        return false;
      writers.push_back(*w);
    } else if (auto load = dyn_cast<memref::LoadOp>(user)) {
      loads.push_back(load);
    } else {
      return false;
    }
  }
  if (writers.empty() || loads.empty())
    return false;
  Block *body = alloc->getBlock();
  llvm::sort(writers,
             [](const Writer &a, const Writer &b) { return a.nest->isBeforeInBlock(b.nest); });
  for (size_t i = 1; i < writers.size(); ++i)
    if (writers[i].nest == writers[i - 1].nest)
      return false;
  Operation *lastWriter = writers.back().nest, *lastReader = lastWriter;
  for (memref::LoadOp load : loads) {
    Operation *top = body->findAncestorOpInBlock(*load);
    if (!top || top == lastWriter || top->isBeforeInBlock(lastWriter))
      return false;
    if (lastReader->isBeforeInBlock(top))
      lastReader = top;
  }
  // The writers' own reads move to the readers: nothing in between may
  // write what they read.
  llvm::SmallPtrSet<Value, 4> sources;
  for (Writer &w : writers)
    w.nest.walk([&](memref::LoadOp l) { sources.insert(baseBuffer(l.getMemRef())); });
  for (Operation *op = writers.front().nest; op != lastReader->getNextNode();
       op = op->getNextNode()) {
    bool clobbers = false;
    op->walk([&](memref::StoreOp s) { clobbers |= sources.contains(baseBuffer(s.getMemRef())); });
    if (clobbers)
      return false;
  }
  for (memref::LoadOp load : loads) {
    OpBuilder b(load);
    Value value;
    for (Writer &w : writers) {
      auto [v, inside] = writerValueAt(w, load.getIndices(), b, load.getLoc());
      value = value && inside ? b.create<arith::SelectOp>(load.getLoc(), inside, v, value) : v;
    }
    load.getResult().replaceAllUsesWith(value);
    load.erase();
  }
  for (Writer &w : writers)
    w.nest.erase();
  alloc.erase();
  return true;
}

void forwardInBlock(Block &block) {
  struct Live {
    Value memref;
    SmallVector<Value> indices;
    Value value;
  };
  SmallVector<Live> live;
  auto kill = [&](Value base) {
    llvm::erase_if(live, [&](const Live &l) { return baseBuffer(l.memref) == base; });
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      for (const Live &l : llvm::reverse(live))
        if (l.memref == load.getMemRef() && llvm::equal(l.indices, load.getIndices())) {
          load.getResult().replaceAllUsesWith(l.value);
          load.erase();
          break;
        }
      continue;
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      kill(baseBuffer(store.getMemRef()));
      live.push_back(
          {store.getMemRef(), SmallVector<Value>(store.getIndices()), store.getValueToStore()});
      continue;
    }
    if (op.getNumRegions() == 0)
      continue;
    op.walk([&](memref::StoreOp inner) { kill(baseBuffer(inner.getMemRef())); });
    for (Region &region : op.getRegions())
      for (Block &inner : region)
        forwardInBlock(inner);
  }
}

/// Whether every use of `v` (through views) is a store into it.
bool onlyStored(Value v, SmallVectorImpl<Operation *> &dead) {
  for (Operation *user : v.getUsers()) {
    if (auto store = dyn_cast<memref::StoreOp>(user); store && store.getMemRef() == v) {
      dead.push_back(user);
      continue;
    }
    auto view = dyn_cast<ViewLikeOpInterface>(user);
    if (!view || view.getViewSource() != v || !onlyStored(user->getResult(0), dead))
      return false;
    dead.push_back(user);
  }
  return true;
}

} // namespace

Value baseBuffer(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    v = view.getViewSource();
  }
  return v;
}

unsigned virtualizeBuffers(func::FuncOp func) {
  SmallVector<memref::AllocOp> allocs;
  for (Operation &op : func.front())
    if (auto alloc = dyn_cast<memref::AllocOp>(op))
      allocs.push_back(alloc);
  unsigned removed = 0;
  for (memref::AllocOp alloc : allocs)
    removed += virtualize(alloc);
  return removed;
}

void fuseNests(func::FuncOp func) {
  scf::naivelyFuseParallelOps(func.getBody(),
                              [](Value a, Value b) { return baseBuffer(a) == baseBuffer(b); });
}

void forwardStores(func::FuncOp func) {
  for (Operation &op : func.front())
    if (auto nest = dyn_cast<scf::ParallelOp>(op))
      forwardInBlock(*nest.getBody());
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
  for (memref::AllocOp alloc : allocs) {
    SmallVector<Operation *> dead;
    if (!onlyStored(alloc.getResult(), dead))
      continue;
    // `dead` lists each store before the view it stores through.
    for (Operation *op : dead)
      op->erase();
    alloc.erase();
  }
}

} // namespace kiln::spirv
