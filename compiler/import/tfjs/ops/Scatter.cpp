//===- Scatter.cpp - ScatterNd, TensorScatterUpdate, SparseToDense --------===//
//
// With the indices known at import (as converted models hold them: nanodet's
// SparseToDense reads constants), every output element comes from one known
// place: an update, the input tensor, or the default/zero. The op is then a
// gather from the concatenated sources by an index map built here: one
// tosa.gather, or a literal when every source is known.
//
// With indices known only at run time, the scatter is written as the ONNX
// importer writes its ScatterND (compiler/import/onnx/ops/Scatter.cpp), so
// every output element is a pure function of the inputs that fuses like an
// elementwise op: each output row's number is compared with every index
// row's flat offset (match [K, W]); ScatterNd sums the matching updates,
// TensorScatterUpdate and SparseToDense take the last one (the highest
// matching update number, a gather) or keep the tensor / default where none
// matches. That costs K x W x C compares, meant for the small index sets
// models scatter with; above 2^24 the error gives the size.
//
// Duplicates follow TF.js (tfjs-core scatterImpl): TensorScatterUpdate and
// SparseToDense keep the last update, ScatterNd sums them (known duplicate
// indices take the run-time path). TF.js checks only the flattened offset:
// an index row past one dimension but inside the tensor addresses the
// element it flattens to, in both; one outside the tensor, which TF.js
// throws on, is an import error when known and is dropped (matches no row)
// at run time.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/OpContext.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <numeric>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

/// Output element j is element map[j] of the sources' flattened concatenation
/// (sources are node inputs, or -1 for a literal `extra` appended last).
llvm::Error gatherSources(OpContext &node, llvm::ArrayRef<int> sources,
                          const std::optional<Literal> &extra, std::vector<int64_t> outShape,
                          const std::vector<int64_t> &map) {
  DType dtype = node.dtype(sources[0]);
  for (int s : sources)
    if (node.dtype(s) != dtype)
      return node.fail("input " + llvm::Twine(s) + " is " + dtypeName(node.dtype(s)) + ", not " +
                       dtypeName(dtype) + " as input " + llvm::Twine(sources[0]));
  bool known = llvm::all_of(sources, [&](int s) { return node.literal(s) != nullptr; });
  if (known) {
    std::vector<Literal> flat;
    for (int s : sources)
      flat.push_back(node.literal(s)->reshaped({node.literal(s)->size()}));
    if (extra)
      flat.push_back(extra->castTo(dtype).reshaped({extra->size()}));
    std::vector<const Literal *> parts;
    for (const Literal &l : flat)
      parts.push_back(&l);
    node.setLiteral(0, Literal::concat(parts, 0).remapped(outShape, map));
    return llvm::Error::success();
  }
  OpBuilder &b = node.builder();
  llvm::SmallVector<Value> parts;
  int64_t total = 0;
  for (int s : sources) {
    int64_t count = numElements(node.shape(s));
    parts.push_back(reshape(b, node.loc(), node.value(s), {count}));
    total += count;
  }
  if (extra) {
    Literal e = extra->castTo(dtype).reshaped({extra->size()});
    parts.push_back(node.graph().createConstant(e, node.node().name + "/fill"));
    total += e.size();
  }
  Value pool = reshape(b, node.loc(), concat(b, node.loc(), parts, 0), {1, total, 1});
  int64_t count = map.size();
  Value indices = i32Constant(node, map, {1, count});
  Value out = node.create<tosa::GatherOp>(tensorOf({1, count, 1}, typeOf(pool).getElementType()),
                                          pool, indices);
  node.setValue(0, reshape(b, node.loc(), out, outShape));
  return llvm::Error::success();
}

/// Index rows of `indices` (the last dimension is the depth) as element
/// offsets into `shape`, each the start of a slice of `sliceSize` elements.
llvm::Expected<std::vector<int64_t>>
sliceOffsets(OpContext &node, int input, llvm::ArrayRef<int64_t> shape, int64_t &sliceSize) {
  auto idx = node.constInts(input, "indices");
  if (!idx)
    return idx.takeError();
  llvm::ArrayRef<int64_t> ishape = node.shape(input);
  int64_t depth = ishape.empty() ? 1 : ishape.back();
  if (node.opType() == "SparseToDense" && ishape.size() < 2)
    depth = 1; // a scalar or a vector of indices into a 1-D output
  if (depth < 1 || depth > static_cast<int64_t>(shape.size()))
    return node.fail("indices have depth " + llvm::Twine(depth) + " for an output of rank " +
                     llvm::Twine(shape.size()));
  sliceSize = numElements(shape.drop_front(depth));
  std::vector<int64_t> offsets;
  for (size_t row = 0; row * depth < idx->size(); ++row) {
    int64_t offset = 0;
    for (int64_t k = 0; k < depth; ++k) {
      int64_t v = (*idx)[row * depth + k];
      if (v < 0 || v >= shape[k])
        return node.fail("index " + llvm::Twine(v) + " (row " + llvm::Twine(row) +
                         ") is out of range for dimension " + llvm::Twine(k) + " of size " +
                         llvm::Twine(shape[k]));
      offset = offset * shape[k] + v;
    }
    offsets.push_back(offset * sliceSize);
  }
  return offsets;
}

llvm::Error checkUpdates(OpContext &node, int updates, size_t rows, int64_t sliceSize,
                         bool scalarOk) {
  int64_t have = numElements(node.shape(updates));
  if (scalarOk && have == 1)
    return llvm::Error::success();
  if (have != static_cast<int64_t>(rows) * sliceSize)
    return node.fail("updates hold " + llvm::Twine(have) + " elements for " + llvm::Twine(rows) +
                     " indices of " + llvm::Twine(sliceSize) + " each");
  return llvm::Error::success();
}

constexpr int64_t kMaxScatterCompares = int64_t(1) << 24;

enum class Duplicates { Sum, Last };

/// The scatter with indices known at run time (see the file comment) into
/// an output of `shape`: `base` ([rows, slice] or broadcast to it) where no
/// index row matches, null for zeros; SparseToDense's `values` may be one
/// value for every index.
llvm::Error scatterAtRunTime(OpContext &node, int indices, int updates,
                             llvm::ArrayRef<int64_t> shape, Duplicates dup, Value base) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  DType dtype = node.dtype(updates);
  if (dtype == DType::Bool)
    return node.fail("bool updates at run-time indices are not supported");
  if (node.dtype(indices) != DType::I32)
    return node.fail("indices must be int32");
  llvm::ArrayRef<int64_t> ishape = node.shape(indices);
  bool vector = node.opType() == "SparseToDense" && ishape.size() < 2;
  int64_t depth = vector || ishape.empty() ? 1 : ishape.back();
  if (depth < 1 || depth > static_cast<int64_t>(shape.size()))
    return node.fail("indices have depth " + llvm::Twine(depth) + " for an output of rank " +
                     llvm::Twine(shape.size()));
  int64_t width = vector ? numElements(ishape) : numElements(ishape.drop_back());
  int64_t rows = numElements(shape.take_front(depth));
  int64_t sliceSize = numElements(shape.drop_front(depth));
  bool oneValue = vector && numElements(node.shape(updates)) == 1;
  if (node.opType() == "SparseToDense" && sliceSize != 1)
    return node.fail("indices must address single elements of the output");
  if (!oneValue)
    if (llvm::Error err = checkUpdates(node, updates, width, sliceSize, false))
      return err;
  if (double(rows) * double(width) * double(sliceSize) > double(kMaxScatterCompares))
    return node.fail("scattering " + llvm::Twine(width) + " run-time index rows into " +
                     llvm::Twine(rows) + " rows of " + llvm::Twine(sliceSize) +
                     " elements compares every row with every index row (" +
                     llvm::Twine(rows * width * sliceSize) +
                     " compares); more than 2^24 is not supported");
  Type i1 = b.getI1Type();
  Type element = node.type(updates).getElementType();

  // Flat row offsets [1, W]: sum of index * row stride, as TF.js flattens.
  Value idx = reshape(b, loc, node.value(indices), {width, depth});
  Value flat;
  int64_t stride = 1;
  for (int64_t k = depth - 1; k >= 0; --k) {
    Value part = slice(b, loc, idx, {0, k}, {width, 1});
    if (stride != 1)
      part = mul(b, loc, part, scalarLike(b, loc, part, stride));
    flat = flat ? binary<tosa::AddOp>(b, loc, flat, part) : part;
    stride *= shape[k];
  }
  flat = reshape(b, loc, flat, {1, width});
  std::vector<int64_t> rowIds(rows), updateIds(width);
  std::iota(rowIds.begin(), rowIds.end(), 0);
  std::iota(updateIds.begin(), updateIds.end(), 0);
  Value match = binary<tosa::EqualOp>(b, loc, i32Constant(node, rowIds, {rows, 1}), flat, i1);

  Value out;
  if (dup == Duplicates::Sum) {
    Value picked = select(b, loc, reshape(b, loc, match, {rows, width, 1}),
                          reshape(b, loc, node.value(updates), {1, width, sliceSize}),
                          splatConstant(b, loc, element, 0, {1, 1, 1}));
    out = reshape(b, loc, reduce<tosa::ReduceSumOp>(b, loc, picked, 1), {rows, sliceSize});
    if (base)
      out = binary<tosa::AddOp>(b, loc, base, out);
  } else {
    // The last matching update's number, -1 for none.
    Value numbered = select(b, loc, match, i32Constant(node, updateIds, {1, width}),
                            i32Constant(node, {-1}, {1, 1}));
    Value last = reduce<tosa::ReduceMaxOp>(b, loc, numbered, 1); // [K, 1]
    Value any = binary<tosa::GreaterEqualOp>(b, loc, last, i32Constant(node, {0}, {1, 1}), i1);
    Value taken;
    if (oneValue) {
      taken = reshape(b, loc, node.value(updates), {1, 1});
    } else {
      Value at = reshape(
          b, loc, binary<tosa::MaximumOp>(b, loc, last, i32Constant(node, {0}, {1, 1})), {1, rows});
      Value gathered = node.create<tosa::GatherOp>(
          tensorOf({1, rows, sliceSize}, element),
          reshape(b, loc, node.value(updates), {1, width, sliceSize}), at);
      taken = reshape(b, loc, gathered, {rows, sliceSize});
    }
    out = select(b, loc, any, taken, base);
  }
  node.setValue(0, reshape(b, loc, out, shape));
  return llvm::Error::success();
}

// ScatterNd(indices, updates, shape): zeros with the updates summed in.
llvm::Error convertScatterNd(OpContext &node) {
  auto shape = node.constShape(2, "output shape");
  if (!shape)
    return shape.takeError();
  if (!node.literal(0))
    return scatterAtRunTime(node, 0, 1, *shape, Duplicates::Sum, nullptr);
  int64_t sliceSize = 0;
  auto offsets = sliceOffsets(node, 0, *shape, sliceSize);
  if (!offsets)
    return offsets.takeError();
  if (llvm::Error err = checkUpdates(node, 1, offsets->size(), sliceSize, false))
    return err;
  int64_t updates = numElements(node.shape(1));
  std::vector<int64_t> map(numElements(*shape), updates); // the zero after the updates
  for (size_t row = 0; row < offsets->size(); ++row)
    for (int64_t e = 0; e < sliceSize; ++e) {
      int64_t &slot = map[(*offsets)[row] + e];
      if (slot != updates) // summed: not a gather
        return scatterAtRunTime(node, 0, 1, *shape, Duplicates::Sum, nullptr);
      slot = row * sliceSize + e;
    }
  return gatherSources(node, {1}, Literal::splat(node.dtype(1), {1}, 0), *shape, map);
}

// TensorScatterUpdate(tensor, indices, updates): the tensor, updates replacing.
llvm::Error convertTensorScatterUpdate(OpContext &node) {
  std::vector<int64_t> shape(node.shape(0).begin(), node.shape(0).end());
  if (!node.literal(1)) {
    if (node.dtype(0) != node.dtype(2))
      return node.fail("the updates are " + dtypeName(node.dtype(2)) + ", the tensor " +
                       dtypeName(node.dtype(0)));
    int64_t depth = node.rank(1) ? node.shape(1).back() : 1;
    if (depth < 1 || depth > node.rank(0))
      return node.fail("indices have depth " + llvm::Twine(depth) + " for a tensor of rank " +
                       llvm::Twine(node.rank(0)));
    int64_t rows = numElements(node.shape(0).take_front(depth));
    Value base =
        reshape(node.builder(), node.loc(), node.value(0), {rows, numElements(shape) / rows});
    return scatterAtRunTime(node, 1, 2, shape, Duplicates::Last, base);
  }
  int64_t sliceSize = 0;
  auto offsets = sliceOffsets(node, 1, shape, sliceSize);
  if (!offsets)
    return offsets.takeError();
  if (llvm::Error err = checkUpdates(node, 2, offsets->size(), sliceSize, false))
    return err;
  int64_t total = numElements(shape);
  std::vector<int64_t> map(total);
  for (int64_t j = 0; j < total; ++j)
    map[j] = j;
  for (size_t row = 0; row < offsets->size(); ++row)
    for (int64_t e = 0; e < sliceSize; ++e)
      map[(*offsets)[row] + e] = total + row * sliceSize + e;
  return gatherSources(node, {0, 2}, std::nullopt, shape, map);
}

// SparseToDense(indices, output_shape, values, default_value).
llvm::Error convertSparseToDense(OpContext &node) {
  auto shape = node.constShape(1, "output shape");
  if (!shape)
    return shape.takeError();
  if (!node.literal(0)) {
    if (numElements(node.shape(3)) != 1)
      return node.fail("default_value must hold one value");
    if (node.dtype(3) != node.dtype(2))
      return node.fail("default_value is " + dtypeName(node.dtype(3)) + ", the values " +
                       dtypeName(node.dtype(2)));
    Value base = reshape(node.builder(), node.loc(), node.value(3), {1, 1});
    return scatterAtRunTime(node, 0, 2, *shape, Duplicates::Last, base);
  }
  int64_t sliceSize = 0;
  auto offsets = sliceOffsets(node, 0, *shape, sliceSize);
  if (!offsets)
    return offsets.takeError();
  if (sliceSize != 1)
    return node.fail("indices must address single elements of the output");
  if (llvm::Error err = checkUpdates(node, 2, offsets->size(), 1, true))
    return err;
  if (numElements(node.shape(3)) != 1)
    return node.fail("default_value must hold one value");
  int64_t values = numElements(node.shape(2));
  std::vector<int64_t> map(numElements(*shape), values); // the default after the values
  for (size_t row = 0; row < offsets->size(); ++row)
    map[(*offsets)[row]] = values == 1 ? 0 : row;
  return gatherSources(node, {2, 3}, std::nullopt, *shape, map);
}

} // namespace

void registerScatterOps(OpTable &table) {
  table.add("ScatterNd", convertScatterNd, 3, 3);
  table.add("TensorScatterUpdate", convertTensorScatterUpdate, 3, 3);
  table.add("SparseToDense", convertSparseToDense, 4, 4);
}

} // namespace kiln::tfjs_import
