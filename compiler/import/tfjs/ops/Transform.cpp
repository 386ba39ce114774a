//===- Transform.cpp - BroadcastTo, ReverseV2, MirrorPad, SpaceToBatchND, ...===//
//
// Data movement that TOSA builds from reshapes, transposes, slices, tiles and
// reverses: BroadcastTo, ReverseV2 and Reverse, MirrorPad, SpaceToBatchND
// and BatchToSpaceND (pad, split each blocked dimension in two, move the
// block factors to the batch), and the masks OneHot and MatrixBandPart.
// Every size, padding and block is known at import (TF.js reads them as
// numbers too).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

llvm::Error convertBroadcastTo(OpContext &node) {
  auto target = node.constInts(1, "shape");
  if (!target)
    return target.takeError();
  auto shape = broadcastShapes(node.shape(0), *target);
  if (!shape || *shape != *target)
    return node.fail("cannot broadcast " + shapeString(node.shape(0)) + " to " +
                     shapeString(*target));
  if (const Literal *h = node.literal(0); h && numElements(*target) <= kMaxFoldElements) {
    node.setLiteral(0, h->broadcastTo(*target));
    return llvm::Error::success();
  }
  Value v =
      expandRank(node.builder(), node.loc(), node.valueWithRank(0, target->size()), target->size());
  llvm::ArrayRef<int64_t> have = typeOf(v).getShape();
  std::vector<int64_t> multiples;
  for (size_t d = 0; d < target->size(); ++d)
    multiples.push_back((*target)[d] / have[d]);
  if (llvm::any_of(multiples, [](int64_t m) { return m != 1; }))
    v = node.create<tosa::TileOp>(tensorOf(*target, node.elementType(0)), v,
                                  node.builder().getDenseI64ArrayAttr(multiples));
  node.setValue(0, v);
  return llvm::Error::success();
}

Value reverseAxes(OpContext &node, Value v, llvm::ArrayRef<int64_t> axes) {
  for (int64_t d : axes)
    if (typeOf(v).getShape()[d] > 1)
      v = node.create<tosa::ReverseOp>(v.getType(), v, node.builder().getI32IntegerAttr(d));
  return v;
}

// ReverseV2(x, axes) and the older Reverse(x, dims: one bool per dimension).
llvm::Error convertReverse(OpContext &node) {
  auto given = node.constInts(1, "axis");
  if (!given)
    return given.takeError();
  std::vector<int64_t> axes;
  if (node.opType() == "Reverse") {
    if (static_cast<int64_t>(given->size()) != node.rank(0))
      return node.fail("dims has " + llvm::Twine(given->size()) + " entries for a rank " +
                       llvm::Twine(node.rank(0)) + " tensor");
    for (size_t d = 0; d < given->size(); ++d)
      if ((*given)[d])
        axes.push_back(d);
  } else {
    for (int64_t a : *given) {
      auto axis = node.normalizeAxis(a, node.rank(0));
      if (!axis)
        return axis.takeError();
      axes.push_back(*axis);
    }
  }
  node.setValue(0, reverseAxes(node, node.value(0), axes));
  return llvm::Error::success();
}

// Reads a [rank, 2] paddings (or crops) input.
llvm::Expected<std::vector<int64_t>> pairs(OpContext &node, int input, int64_t count,
                                           llvm::StringRef what) {
  auto values = node.constInts(input, what);
  if (!values)
    return values.takeError();
  if (static_cast<int64_t>(values->size()) != 2 * count)
    return node.fail(what + " has " + llvm::Twine(values->size()) + " values, not " +
                     llvm::Twine(2 * count));
  if (llvm::any_of(*values, [](int64_t v) { return v < 0; }))
    return node.fail(what + " must not be negative");
  return values;
}

llvm::Error convertMirrorPad(OpContext &node) {
  std::string mode = node.attrs().getString("mode", "REFLECT");
  if (mode != "REFLECT" && mode != "SYMMETRIC")
    return node.fail("mode " + mode + " is not REFLECT or SYMMETRIC");
  int64_t rank = node.rank(0);
  auto pads = pairs(node, 1, rank, "paddings");
  if (!pads)
    return pads.takeError();
  int64_t skip = mode == "REFLECT" ? 1 : 0; // REFLECT leaves out the edge itself
  Value v = node.value(0);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = (*pads)[2 * d], hi = (*pads)[2 * d + 1], n = typeOf(v).getShape()[d];
    if (lo + skip > n || hi + skip > n)
      return node.fail(mode + " padding of " + llvm::Twine(std::max(lo, hi)) + " on dimension " +
                       llvm::Twine(d) + " of size " + llvm::Twine(n) + " is too wide");
    auto part = [&](int64_t start, int64_t size) {
      std::vector<int64_t> begin(rank, 0), sizes(typeOf(v).getShape());
      begin[d] = start;
      sizes[d] = size;
      return reverseAxes(node, slice(node.builder(), node.loc(), v, begin, sizes), {d});
    };
    std::vector<Value> parts;
    if (lo)
      parts.push_back(part(skip, lo));
    parts.push_back(v);
    if (hi)
      parts.push_back(part(n - skip - hi, hi));
    v = concat(node.builder(), node.loc(), parts, d);
  }
  node.setValue(0, v);
  return llvm::Error::success();
}

// Block shape and the checks both block ops share: x is [batch, spatial...,
// rest...] with one block factor per spatial dimension.
llvm::Expected<std::vector<int64_t>> blockShape(OpContext &node) {
  auto block = node.constInts(1, "block_shape");
  if (!block)
    return block.takeError();
  if (block->empty() || static_cast<int64_t>(block->size()) >= node.rank(0))
    return node.fail("block_shape " + shapeString(*block) + " does not fit a rank " +
                     llvm::Twine(node.rank(0)) + " input");
  if (llvm::any_of(*block, [](int64_t b) { return b < 1; }))
    return node.fail("block_shape " + shapeString(*block) + " must be positive");
  return block;
}

llvm::Error convertSpaceToBatch(OpContext &node) {
  auto block = blockShape(node);
  if (!block)
    return block.takeError();
  int64_t m = block->size(), rank = node.rank(0);
  auto pads = pairs(node, 2, m, "paddings");
  if (!pads)
    return pads.takeError();
  std::vector<int64_t> lowHigh(2 * rank, 0);
  for (int64_t i = 0; i < 2 * m; ++i)
    lowHigh[2 + i] = (*pads)[i];
  Value v = pad(node.builder(), node.loc(), node.value(0), lowHigh, 0);
  llvm::ArrayRef<int64_t> padded = typeOf(v).getShape();
  std::vector<int64_t> split{padded[0]}, perm, out;
  int64_t batch = padded[0];
  for (int64_t i = 0; i < m; ++i) {
    int64_t size = padded[1 + i], b = (*block)[i];
    if (size % b)
      return node.fail("padded dimension " + llvm::Twine(1 + i) + " (" + llvm::Twine(size) +
                       ") is not a multiple of its block " + llvm::Twine(b));
    split.push_back(size / b);
    split.push_back(b);
    batch *= b;
  }
  for (int64_t d = 1 + m; d < rank; ++d)
    split.push_back(padded[d]);
  for (int64_t i = 0; i < m; ++i) // the block factors first, then the batch
    perm.push_back(2 + 2 * i);
  perm.push_back(0);
  for (int64_t i = 0; i < m; ++i)
    perm.push_back(1 + 2 * i);
  for (int64_t d = 1 + 2 * m; d < static_cast<int64_t>(split.size()); ++d)
    perm.push_back(d);
  out.push_back(batch);
  for (int64_t i = 0; i < m; ++i)
    out.push_back(split[1 + 2 * i]);
  for (int64_t d = 1 + m; d < rank; ++d)
    out.push_back(padded[d]);
  v = reshape(node.builder(), node.loc(), v, split);
  v = transpose(node.builder(), node.loc(), v, perm);
  node.setValue(0, reshape(node.builder(), node.loc(), v, out));
  return llvm::Error::success();
}

llvm::Error convertBatchToSpace(OpContext &node) {
  auto block = blockShape(node);
  if (!block)
    return block.takeError();
  int64_t m = block->size(), rank = node.rank(0);
  auto crops = pairs(node, 2, m, "crops");
  if (!crops)
    return crops.takeError();
  llvm::ArrayRef<int64_t> in = node.shape(0);
  int64_t factor = 1;
  for (int64_t b : *block)
    factor *= b;
  if (in[0] % factor)
    return node.fail("batch " + llvm::Twine(in[0]) + " is not a multiple of the blocks' product " +
                     llvm::Twine(factor));
  std::vector<int64_t> split(block->begin(), block->end()), perm{m}, joined{in[0] / factor};
  split.push_back(in[0] / factor);
  for (int64_t d = 1; d < rank; ++d)
    split.push_back(in[d]);
  for (int64_t i = 0; i < m; ++i) {
    perm.push_back(m + 1 + i); // spatial dimension i, then its block factor
    perm.push_back(i);
    joined.push_back(in[1 + i] * (*block)[i]);
  }
  for (int64_t d = 1 + m; d < rank; ++d) {
    perm.push_back(m + d);
    joined.push_back(in[d]);
  }
  Value v = reshape(node.builder(), node.loc(), node.value(0), split);
  v = transpose(node.builder(), node.loc(), v, perm);
  v = reshape(node.builder(), node.loc(), v, joined);
  std::vector<int64_t> begin(rank, 0), size(joined);
  for (int64_t i = 0; i < m; ++i) {
    begin[1 + i] = (*crops)[2 * i];
    size[1 + i] -= (*crops)[2 * i] + (*crops)[2 * i + 1];
    if (size[1 + i] < 1)
      return node.fail("crops remove all of dimension " + llvm::Twine(1 + i));
  }
  node.setValue(0, slice(node.builder(), node.loc(), v, begin, size));
  return llvm::Error::success();
}

// OneHot(indices, depth, on, off): indices == iota along the new axis; an
// index outside [0, depth) gives a row of `off`, as in TF.
llvm::Error convertOneHot(OpContext &node) {
  if (node.dtype(0) != DType::I32)
    return node.fail("indices must be int32");
  const Literal *depthValue = node.literal(1);
  if (!depthValue || depthValue->size() != 1)
    return node.fail("depth must be a known scalar");
  int64_t depth = depthValue->intAt(0);
  if (depth < 1 || depth > kMaxFoldElements)
    return node.fail("depth " + llvm::Twine(depth) + " is outside 1.." +
                     llvm::Twine(kMaxFoldElements));
  if (numElements(node.shape(2)) != 1 || numElements(node.shape(3)) != 1 ||
      node.dtype(2) != node.dtype(3))
    return node.fail("on_value and off_value must be scalars of one type");
  int64_t rank = node.rank(0) + 1;
  int64_t axis = node.attrs().getInt("axis", -1);
  if (axis == -1)
    axis = rank - 1;
  if (axis < 0 || axis >= rank)
    return node.fail("axis " + llvm::Twine(axis) + " is outside the output's rank " +
                     llvm::Twine(rank));
  std::vector<int64_t> iotaShape(rank, 1), indexShape(node.shape(0).begin(), node.shape(0).end());
  iotaShape[axis] = depth;
  indexShape.insert(indexShape.begin() + axis, 1);
  std::vector<int64_t> iota;
  for (int64_t i = 0; i < depth; ++i)
    iota.push_back(i);
  Value positions = i32Constant(node, iota, iotaShape);
  Value indices = reshape(node.builder(), node.loc(), node.value(0), indexShape);
  Value hit = binary<tosa::EqualOp>(node.builder(), node.loc(), indices, positions,
                                    node.builder().getI1Type());
  node.setValue(0, select(node.builder(), node.loc(), hit, node.valueWithRank(2, rank),
                          node.valueWithRank(3, rank)));
  return llvm::Error::success();
}

// MatrixBandPart(x, lower, upper): zero outside the band, a constant mask
// over the last two dimensions. Kiln reads `upper` from input 2 as TF
// does; tfjs-converter 4.22 reads both bounds from input 1.
llvm::Error convertMatrixBandPart(OpContext &node) {
  if (node.rank(0) < 2)
    return node.fail("the input must have at least 2 dimensions");
  const Literal *lower = node.literal(1), *upper = node.literal(2);
  if (!lower || !upper || lower->size() != 1 || upper->size() != 1)
    return node.fail("num_lower and num_upper must be known scalars");
  int64_t rows = node.shape(0)[node.rank(0) - 2], cols = node.shape(0).back();
  int64_t lo = lower->intAt(0), hi = upper->intAt(0);
  std::vector<int64_t> mask;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.push_back((lo < 0 || i - j <= lo) && (hi < 0 || j - i <= hi));
  std::vector<int64_t> shape(node.rank(0) - 2, 1);
  shape.push_back(rows);
  shape.push_back(cols);
  Value keep = node.graph().createConstant(Literal::fromInts(DType::Bool, shape, mask), "band");
  Value x = node.value(0);
  node.setValue(
      0, select(node.builder(), node.loc(), keep, x, scalarLike(node.builder(), node.loc(), x, 0)));
  return llvm::Error::success();
}

} // namespace

void registerTransformOps(OpTable &table) {
  table.add("BroadcastTo", convertBroadcastTo, 2, 2);
  table.add("ReverseV2", convertReverse, 2, 2);
  table.add("Reverse", convertReverse, 2, 2);
  table.add("MirrorPad", convertMirrorPad, 2, 2);
  table.add("SpaceToBatchND", convertSpaceToBatch, 3, 3);
  table.add("BatchToSpaceND", convertBatchToSpace, 3, 3);
  table.add("OneHot", convertOneHot, 4, 4);
  table.add("MatrixBandPart", convertMatrixBandPart, 3, 3);
}

} // namespace kiln::tfjs_import
