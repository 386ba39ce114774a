//===- Gather.cpp - GatherV2 and GatherNd ---------------------------------===//
//
// Both become one tosa.gather, whose values are [N, K, C] and indices
// [N, W] (i32): the params are reshaped so that the gathered dimensions
// collapse into K. GatherNd's index tuples become flat indices into K, on
// the host when they are known and otherwise with a multiply by the row-major
// strides and a sum. GatherV2's batch_dims fold into tosa.gather's batch.
// GatherV2 by bounded indices gives a bounded value (import::followCount).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

llvm::Error requireIntIndices(OpContext &node, int i) {
  DType d = node.dtype(i);
  if (d != DType::I32)
    return node.fail("indices must be int32, not " + dtypeName(d));
  if (numElements(node.shape(i)) == 0)
    return node.fail("empty indices are not supported");
  return llvm::Error::success();
}

// tosa.gather of `values` [n, k, c] at `indices` [n, w] (any int type).
Value gather3d(OpContext &node, Value values, Value indices, int64_t n, int64_t w, int64_t c) {
  Value idx = castElements(node.builder(), node.loc(), indices, node.builder().getI32Type());
  return node.create<tosa::GatherOp>(tensorOf({n, w, c}, typeOf(values).getElementType()), values,
                                     idx);
}

// GatherV2 with batch_dims b: params [B, O, K, inner] and indices [B, I]
// (B the first b dimensions of both, O those between them and the axis)
// give [B, O, I, inner]. tosa.gather's own batch dimension is B * O, the
// indices of each batch repeated over its O rows.
llvm::Error convertBatchedGather(OpContext &node, int64_t axis, int64_t batchDims) {
  llvm::ArrayRef<int64_t> params = node.shape(0), indexShape = node.shape(1);
  int64_t b = batchDims < 0 ? batchDims + static_cast<int64_t>(indexShape.size()) : batchDims;
  if (b < 0 || b > axis || b > static_cast<int64_t>(indexShape.size()))
    return node.fail("batch_dims " + llvm::Twine(batchDims) + " must lie in [0, " +
                     llvm::Twine(std::min<int64_t>(axis, indexShape.size())) +
                     "] (at most the axis and the indices' rank)");
  if (params.take_front(b) != indexShape.take_front(b))
    return node.fail("the first " + llvm::Twine(b) + " dimensions of params " +
                     shapeString(params) + " and indices " + shapeString(indexShape) +
                     " must be equal (batch_dims)");
  int64_t batch = numElements(params.take_front(b));
  int64_t outer = numElements(params.slice(b, axis - b)), k = params[axis];
  int64_t inner = numElements(params.drop_front(axis + 1));
  int64_t w = numElements(indexShape.drop_front(b));
  std::vector<int64_t> outShape(params.begin(), params.begin() + axis);
  outShape.insert(outShape.end(), indexShape.begin() + b, indexShape.end());
  outShape.insert(outShape.end(), params.begin() + axis + 1, params.end());
  OpBuilder &builder = node.builder();
  Value idx;
  if (const Literal *indices = node.literal(1)) {
    std::vector<int64_t> tiled;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < w; ++j) {
          int64_t v = indices->ints()[n * w + j];
          if (v < 0 || v >= k)
            return node.fail("index " + llvm::Twine(v) + " is out of range [0, " + llvm::Twine(k) +
                             ")");
          tiled.push_back(v);
        }
    idx = i32Constant(node, tiled, {batch * outer, w});
  } else {
    idx = reshape(builder, node.loc(), node.value(1), {batch, 1, w});
    if (outer > 1)
      idx = node.create<tosa::TileOp>(tensorOf({batch, outer, w}, typeOf(idx).getElementType()),
                                      idx, builder.getDenseI64ArrayAttr({1, outer, 1}));
    idx = reshape(builder, node.loc(), idx, {batch * outer, w});
  }
  Value values = reshape(builder, node.loc(), node.value(0), {batch * outer, k, inner});
  node.setValue(0, reshape(builder, node.loc(),
                           gather3d(node, values, idx, batch * outer, w, inner), outShape));
  return llvm::Error::success();
}

llvm::Error convertGatherV2(OpContext &node) {
  if (llvm::Error err = requireIntIndices(node, 1))
    return err;
  int64_t axisValue = 0;
  if (node.numInputs() > 2) {
    auto axis = node.constInts(2, "axis");
    if (!axis)
      return axis.takeError();
    if (axis->size() != 1)
      return node.fail("axis must hold one value");
    axisValue = (*axis)[0];
  }
  llvm::ArrayRef<int64_t> params = node.shape(0), indexShape = node.shape(1);
  auto axis = node.normalizeAxis(axisValue, params.size());
  if (!axis)
    return axis.takeError();
  Value indexValue = node.literal(1) ? Value() : node.value(1);
  bool boundedIndices = indexValue && import::isBounded(indexValue);
  if (int64_t batchDims = node.attrs().getInt("batch_dims", 0)) {
    if (boundedIndices)
      return node.fail("indices whose length depends on the data (docs/BOUNDED.md) are "
                       "supported with batch_dims 0 only");
    return convertBatchedGather(node, *axis, batchDims);
  }
  int64_t outer = numElements(params.take_front(*axis)), k = params[*axis];
  int64_t inner = numElements(params.drop_front(*axis + 1)), w = numElements(indexShape);
  std::vector<int64_t> outShape(params.begin(), params.begin() + *axis);
  outShape.insert(outShape.end(), indexShape.begin(), indexShape.end());
  outShape.insert(outShape.end(), params.begin() + *axis + 1, params.end());

  const Literal *indices = node.literal(1);
  std::vector<int64_t> flat;
  if (indices) {
    for (int64_t v : indices->ints()) {
      if (v < 0 || v >= k)
        return node.fail("index " + llvm::Twine(v) + " is out of range [0, " + llvm::Twine(k) +
                         ")");
      flat.push_back(v);
    }
  }
  const Literal *params0 = node.literal(0);
  if (params0 && indices && numElements(outShape) <= kMaxFoldElements) {
    std::vector<int64_t> source;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : flat)
        for (int64_t c = 0; c < inner; ++c)
          source.push_back((o * k + i) * inner + c);
    node.setLiteral(0, params0->remapped(outShape, source));
    return llvm::Error::success();
  }
  Value values = reshape(node.builder(), node.loc(), node.value(0), {outer, k, inner});
  Value idx;
  if (indices) {
    std::vector<int64_t> tiled;
    for (int64_t o = 0; o < outer; ++o)
      tiled.insert(tiled.end(), flat.begin(), flat.end());
    idx = i32Constant(node, tiled, {outer, w});
  } else {
    idx = reshape(node.builder(), node.loc(), node.value(1), {1, w});
    if (outer > 1)
      idx = node.create<tosa::TileOp>(tensorOf({outer, w}, typeOf(idx).getElementType()), idx,
                                      node.builder().getDenseI64ArrayAttr({outer, 1}));
  }
  Value out =
      reshape(node.builder(), node.loc(), gather3d(node, values, idx, outer, w, inner), outShape);
  // Bounded indices (NMS's selection, Where's coordinates): the rows
  // gathered by the valid ones are valid, the rest become zeros, and the
  // result is bounded with the indices' count (docs/BOUNDED.md).
  if (boundedIndices)
    out = import::followCount(node.builder(), node.loc(), out,
                              *axis + import::compactAxis(indexValue.getDefiningOp()), indexValue)
              .first;
  node.setValue(0, out);
  return llvm::Error::success();
}

llvm::Error convertGatherNd(OpContext &node) {
  if (llvm::Error err = requireIntIndices(node, 1))
    return err;
  llvm::ArrayRef<int64_t> params = node.shape(0), indexShape = node.shape(1);
  if (indexShape.empty())
    return node.fail("indices must have at least one dimension");
  int64_t q = indexShape.back();
  if (q < 1 || q > static_cast<int64_t>(params.size()))
    return node.fail("index tuples of length " + llvm::Twine(q) + " do not fit params " +
                     shapeString(params));
  int64_t w = numElements(indexShape.drop_back()), k = numElements(params.take_front(q));
  int64_t c = numElements(params.drop_front(q));
  std::vector<int64_t> outShape(indexShape.begin(), indexShape.end() - 1);
  outShape.insert(outShape.end(), params.begin() + q, params.end());
  std::vector<int64_t> strides = rowMajorStrides(params.take_front(q));

  Value flatIndices;
  std::vector<int64_t> flat;
  if (const Literal *indices = node.literal(1)) {
    for (int64_t t = 0; t < w; ++t) {
      int64_t f = 0;
      for (int64_t j = 0; j < q; ++j) {
        int64_t v = indices->ints()[t * q + j];
        if (v < 0 || v >= params[j])
          return node.fail("index " + llvm::Twine(v) + " is out of range for dimension " +
                           llvm::Twine(j) + " of " + shapeString(params));
        f += v * strides[j];
      }
      flat.push_back(f);
    }
    if (const Literal *p = node.literal(0); p && numElements(outShape) <= kMaxFoldElements) {
      std::vector<int64_t> source;
      for (int64_t f : flat)
        for (int64_t e = 0; e < c; ++e)
          source.push_back(f * c + e);
      node.setLiteral(0, p->remapped(outShape, source));
      return llvm::Error::success();
    }
    flatIndices = i32Constant(node, flat, {1, w});
  } else {
    Value idx = castElements(node.builder(), node.loc(),
                             reshape(node.builder(), node.loc(), node.value(1), {w, q}),
                             node.builder().getI32Type());
    Value weighted = mul(node.builder(), node.loc(), idx, i32Constant(node, strides, {1, q}));
    flatIndices =
        reshape(node.builder(), node.loc(),
                reduce<tosa::ReduceSumOp>(node.builder(), node.loc(), weighted, 1), {1, w});
  }
  Value values = reshape(node.builder(), node.loc(), node.value(0), {1, k, c});
  node.setValue(0, reshape(node.builder(), node.loc(), gather3d(node, values, flatIndices, 1, w, c),
                           outShape));
  return llvm::Error::success();
}

} // namespace

void registerGatherOps(OpTable &table) {
  table.add("GatherV2", convertGatherV2, 3, 3);
  table.add("Gather", convertGatherV2, 2, 2);
  table.add("GatherNd", convertGatherNd, 2, 2);
}

} // namespace kiln::tfjs_import
