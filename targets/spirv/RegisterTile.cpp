//===- RegisterTile.cpp - several outputs per invocation, in registers ----===//
#include "targets/spirv/RegisterTile.h"

#include "targets/spirv/NestFusion.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace kiln::spirv {

gpu::ParallelLoopDimMappingAttr loopMapping(MLIRContext *ctx, unsigned fromInner, bool threads) {
  const gpu::Processor blocks[3] = {gpu::Processor::BlockX, gpu::Processor::BlockY,
                                    gpu::Processor::BlockZ};
  const gpu::Processor invocations[3] = {gpu::Processor::ThreadX, gpu::Processor::ThreadY,
                                         gpu::Processor::ThreadZ};
  gpu::Processor p = fromInner >= 3 ? gpu::Processor::Sequential
                     : threads      ? invocations[fromInner]
                                    : blocks[fromInner];
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
}

bool registerTileable(scf::ParallelOp nest) {
  if (nest->getNumResults() != 0)
    return false;
  for (auto [lb, step] : llvm::zip(nest.getLowerBound(), nest.getStep()))
    if (getConstantIntValue(lb) != 0 || getConstantIntValue(step) != 1)
      return false;
  for (Value ub : nest.getUpperBound())
    if (!getConstantIntValue(ub))
      return false;
  bool reduction = false;
  llvm::SmallPtrSet<Value, 4> written, read;
  nest.walk([&](Operation *op) {
    if (isa<scf::ForOp>(op))
      reduction = true;
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      written.insert(baseBuffer(store.getMemRef()));
    else if (auto load = dyn_cast<memref::LoadOp>(op))
      read.insert(baseBuffer(load.getMemRef()));
  });
  return reduction && llvm::none_of(written, [&](Value w) { return read.contains(w); });
}

LogicalResult registerTile(scf::ParallelOp nest, std::array<int64_t, 3> workgroup,
                           std::array<int64_t, 3> tile) {
  unsigned rank = nest.getNumLoops(), mapped = std::min(rank, 3u);
  MLIRContext *ctx = nest.getContext();
  Location loc = nest.getLoc();
  OpBuilder b(nest);
  auto constant = [&](int64_t c) { return b.create<arith::ConstantIndexOp>(loc, c).getResult(); };
  // Per loop d: i = rank - 1 - d counts from the innermost (x).
  SmallVector<int64_t> ub(rank), t(rank, 1), w(rank, 1), groups(rank);
  for (unsigned d = 0; d < rank; ++d) {
    ub[d] = *getConstantIntValue(nest.getUpperBound()[d]);
    unsigned i = rank - 1 - d;
    if (i >= 3) {
      groups[d] = ub[d];
      continue;
    }
    t[d] = std::max<int64_t>(1, std::min(tile[i], ub[d]));
    w[d] = std::max<int64_t>(1, workgroup[i]);
    groups[d] = (ub[d] + w[d] * t[d] - 1) / (w[d] * t[d]);
  }
  SmallVector<Value> zeros(rank, constant(0)), ones(rank, constant(1)), groupBounds;
  for (int64_t g : groups)
    groupBounds.push_back(constant(g));
  auto outer = b.create<scf::ParallelOp>(loc, zeros, groupBounds, ones);
  SmallVector<gpu::ParallelLoopDimMappingAttr> outerMap;
  for (unsigned d = 0; d < rank; ++d) {
    unsigned i = rank - 1 - d;
    outerMap.push_back(loopMapping(ctx, i, /*threads=*/false));
  }
  if (failed(gpu::setMappingAttr(outer, outerMap)))
    return failure();

  b.setInsertionPoint(outer.getBody()->getTerminator());
  SmallVector<Value> threadBounds;
  SmallVector<gpu::ParallelLoopDimMappingAttr> innerMap;
  for (unsigned d = rank - mapped; d < rank; ++d) {
    threadBounds.push_back(constant(w[d]));
    innerMap.push_back(loopMapping(ctx, rank - 1 - d, /*threads=*/true));
  }
  SmallVector<Value> innerZeros(mapped, zeros[0]), innerOnes(mapped, ones[0]);
  auto inner = b.create<scf::ParallelOp>(loc, innerZeros, threadBounds, innerOnes);
  if (failed(gpu::setMappingAttr(inner, innerMap)))
    return failure();

  // The tile's first output: (group * w + thread) * t, shifted inward so
  // the tile ends inside the dimension.
  b.setInsertionPoint(inner.getBody()->getTerminator());
  SmallVector<Value> base(rank);
  SmallVector<Value> tileLower, tileUpper, tileStep;
  SmallVector<unsigned> tiled;
  for (unsigned d = 0; d < rank; ++d) {
    Value g = outer.getInductionVars()[d];
    if (d < rank - mapped) {
      base[d] = g;
      continue;
    }
    Value th = inner.getInductionVars()[d - (rank - mapped)];
    Value first = b.create<arith::MulIOp>(
        loc, b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, g, constant(w[d])), th),
        constant(t[d]));
    base[d] = b.create<arith::MinSIOp>(loc, first, constant(ub[d] - t[d]));
    if (t[d] > 1) {
      tiled.push_back(d);
      tileLower.push_back(zeros[0]);
      tileUpper.push_back(constant(t[d]));
      tileStep.push_back(ones[0]);
    }
  }
  SmallVector<scf::ForOp> tileLoops;
  auto fill = [&](OpBuilder &nb, Location l, ValueRange ivs) {
    IRMapping map;
    SmallVector<Value> index(base);
    for (auto [k, d] : llvm::enumerate(tiled))
      index[d] = nb.create<arith::AddIOp>(l, base[d], ivs[k]);
    map.map(nest.getInductionVars(), index);
    for (Operation &op : nest.getBody()->without_terminator())
      nb.clone(op, map);
  };
  if (tiled.empty()) {
    fill(b, loc, {});
  } else {
    scf::LoopNest loops = scf::buildLoopNest(b, loc, tileLower, tileUpper, tileStep, fill);
    tileLoops.assign(loops.loops.begin(), loops.loops.end());
  }
  nest.erase();
  // Innermost first: unroll-and-jam rebuilds the loops inside the one it
  // unrolls (the handles to inner tile loops would dangle), never the ones
  // around it.
  for (int k = int(tileLoops.size()) - 1; k >= 0; --k)
    if (failed(loopUnrollJamByFactor(tileLoops[k], t[tiled[k]])))
      return outer.emitError("cannot unroll and jam its invocation tile");
  return success();
}

} // namespace kiln::spirv
