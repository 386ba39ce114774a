//===- Combine.cpp - Concat, Split, Pad, Tile, Expand ---------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

llvm::Error convertConcat(OpContext &op) {
  int64_t rank = op.rank(0);
  auto axis = op.normalizeAxis(op.attrInt("axis", 0), rank);
  if (!axis)
    return axis.takeError();
  for (int i = 1; i < op.numInputs(); ++i)
    if (op.rank(i) != rank)
      return op.fail("inputs have different ranks");
  // Known parts concatenate on the host (shape vectors, mostly), unless a
  // splat would have to be spelled out into a large tensor.
  bool allKnown = true, anySplat = false;
  int64_t total = 0;
  for (int i = 0; i < op.numInputs(); ++i) {
    const Literal *lit = op.literal(i);
    allKnown &= lit != nullptr;
    anySplat |= lit && lit->isSplat();
    total += numElements(op.shape(i));
  }
  if (allKnown && (!anySplat || total <= kMaxFoldElements)) {
    llvm::SmallVector<const Literal *> parts;
    for (int i = 0; i < op.numInputs(); ++i)
      parts.push_back(op.literal(i));
    op.setLiteral(0, Literal::concat(parts, *axis));
    return llvm::Error::success();
  }
  llvm::SmallVector<Value> parts;
  for (int i = 0; i < op.numInputs(); ++i)
    if (op.shape(i)[*axis] != 0) // empty parts add nothing; TOSA has no empty tensors
      parts.push_back(op.value(i));
  op.setValue(0, concat(op.builder(), op.loc(), parts, *axis));
  return llvm::Error::success();
}

llvm::Error convertSplit(OpContext &op) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  auto axis = op.normalizeAxis(op.attrInt("axis", 0), in.size());
  if (!axis)
    return axis.takeError();
  // Sizes: attribute before opset 13, optional input since; else equal parts.
  std::vector<int64_t> sizes = op.attrInts("split");
  if (op.opset() >= 13 && op.hasInput(1)) {
    auto ints = op.constInts(1, "split");
    if (!ints)
      return ints.takeError();
    sizes = *ints;
  }
  int64_t dim = in[*axis], outputs = op.numOutputs();
  if (sizes.empty()) {
    if (dim % outputs)
      return op.fail("dimension " + llvm::Twine(dim) + " does not split into " +
                     llvm::Twine(outputs) + " equal parts");
    sizes.assign(outputs, dim / outputs);
  }
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  if (static_cast<int64_t>(sizes.size()) != outputs || total != dim)
    return op.fail("split sizes " + shapeString(sizes) + " do not cover dimension " +
                   llvm::Twine(dim) + " in " + llvm::Twine(outputs) + " outputs");
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    llvm::SmallVector<int64_t> start(in.size(), 0), size(in);
    start[*axis] = offset;
    size[*axis] = sizes[i];
    offset += sizes[i];
    if (sizes[i] == 0)
      return op.fail("empty split outputs are not supported");
    if (const Literal *lit = op.literal(0))
      op.setLiteral(i, lit->strided(start, llvm::SmallVector<int64_t>(in.size(), 1), size));
    else
      op.setValue(i, slice(op.builder(), op.loc(), op.value(0), start, size));
  }
  return llvm::Error::success();
}

// `x` extended by `count` rows on one side of `axis`, as edge or reflect.
Value borderRows(OpContext &op, Value x, int64_t axis, int64_t count, bool atEnd, bool reflect) {
  llvm::SmallVector<int64_t> start(typeOf(x).getRank(), 0), size(typeOf(x).getShape());
  int64_t dim = size[axis];
  if (reflect) { // mirror without repeating the edge row
    start[axis] = atEnd ? dim - 1 - count : 1;
    size[axis] = count;
    Value rows = slice(op.builder(), op.loc(), x, start, size);
    return op.create<tosa::ReverseOp>(rows.getType(), rows, op.builder().getI32IntegerAttr(axis));
  }
  start[axis] = atEnd ? dim - 1 : 0;
  size[axis] = 1;
  Value edge = slice(op.builder(), op.loc(), x, start, size);
  if (count == 1)
    return edge;
  llvm::SmallVector<int64_t> multiples(size.size(), 1), shape(size);
  multiples[axis] = count;
  shape[axis] = count;
  return op.create<tosa::TileOp>(tensorOf(shape, typeOf(x).getElementType()), edge,
                                 op.builder().getDenseI64ArrayAttr(multiples));
}

llvm::Error convertPad(OpContext &op) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  int64_t rank = in.size();
  std::vector<int64_t> pads;
  double padValue = 0.0;
  if (op.opset() < 11) {
    pads = op.attrInts("pads");
    padValue = op.attrFloat("value", 0.0f);
  } else {
    auto ints = op.constInts(1, "pads");
    if (!ints)
      return ints.takeError();
    pads = *ints;
    if (op.hasInput(2)) {
      const Literal *value = op.literal(2);
      if (!value || value->size() != 1)
        return op.fail("constant_value must be a constant scalar");
      padValue = value->doubleAt(0);
    }
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return op.fail("pads has " + llvm::Twine(pads.size()) + " entries for rank " +
                   llvm::Twine(rank));
  std::string mode = op.attrString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return op.fail("mode '" + mode + "' is not supported (constant, edge, reflect are)");

  // Negative pads crop first.
  Value x = op.value(0);
  llvm::SmallVector<int64_t> start(rank, 0), size(in);
  llvm::SmallVector<int64_t> lowHigh(2 * rank, 0);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = pads[d], hi = pads[d + rank];
    start[d] = std::max<int64_t>(0, -lo);
    size[d] -= std::max<int64_t>(0, -lo) + std::max<int64_t>(0, -hi);
    if (size[d] <= 0)
      return op.fail("pads crop dimension " + llvm::Twine(d) + " to nothing");
    lowHigh[2 * d] = std::max<int64_t>(0, lo);
    lowHigh[2 * d + 1] = std::max<int64_t>(0, hi);
  }
  x = slice(op.builder(), op.loc(), x, start, size);
  if (mode == "constant") {
    op.setValue(0, pad(op.builder(), op.loc(), x, lowHigh, padValue));
    return llvm::Error::success();
  }
  bool reflect = mode == "reflect";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = lowHigh[2 * d], hi = lowHigh[2 * d + 1], dim = typeOf(x).getDimSize(d);
    if (reflect && (lo >= dim || hi >= dim))
      return op.fail("reflect pads must be smaller than the dimension they pad");
    llvm::SmallVector<Value> parts;
    if (lo)
      parts.push_back(borderRows(op, x, d, lo, false, reflect));
    parts.push_back(x);
    if (hi)
      parts.push_back(borderRows(op, x, d, hi, true, reflect));
    x = concat(op.builder(), op.loc(), parts, d);
  }
  op.setValue(0, x);
  return llvm::Error::success();
}

// Tiles `v` (rank already equal) from its shape to `shape`, where each
// dimension either matches or is 1 in `v`.
Value tileTo(OpContext &op, Value v, llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> multiples;
  for (size_t d = 0; d < shape.size(); ++d)
    multiples.push_back(typeOf(v).getDimSize(d) == shape[d] ? 1 : shape[d]);
  if (llvm::all_of(multiples, [](int64_t m) { return m == 1; }))
    return v;
  return op.create<tosa::TileOp>(tensorOf(shape, typeOf(v).getElementType()), v,
                                 op.builder().getDenseI64ArrayAttr(multiples));
}

llvm::Error convertExpand(OpContext &op) {
  auto requested = op.constInts(1, "shape");
  if (!requested)
    return requested.takeError();
  auto shape = broadcastShapes(op.shape(0), *requested);
  if (!shape)
    return op.fail(llvm::toString(shape.takeError()));
  const Literal *lit = op.literal(0);
  if (lit && (lit->isSplat() || numElements(*shape) <= kMaxFoldElements)) {
    op.setLiteral(0, lit->broadcastTo(*shape));
    return llvm::Error::success();
  }
  op.setValue(0,
              tileTo(op, expandRank(op.builder(), op.loc(), op.value(0), shape->size()), *shape));
  return llvm::Error::success();
}

llvm::Error convertTile(OpContext &op) {
  auto repeats = op.constInts(1, "repeats");
  if (!repeats)
    return repeats.takeError();
  llvm::ArrayRef<int64_t> in = op.shape(0);
  if (repeats->size() != in.size())
    return op.fail("repeats has " + llvm::Twine(repeats->size()) + " entries for rank " +
                   llvm::Twine(in.size()));
  llvm::SmallVector<int64_t> shape;
  for (size_t d = 0; d < in.size(); ++d) {
    if ((*repeats)[d] < 1)
      return op.fail("repeats must be positive");
    shape.push_back(in[d] * (*repeats)[d]);
  }
  op.setValue(0, op.create<tosa::TileOp>(tensorOf(shape, op.elementType(0)), op.value(0),
                                         op.builder().getDenseI64ArrayAttr(*repeats)));
  return llvm::Error::success();
}

} // namespace

void registerCombineOps(OpTable &table) {
  table.add("Concat", convertConcat);
  table.add("Split", convertSplit);
  table.add("Pad", convertPad);
  table.add("Expand", convertExpand);
  table.add("Tile", convertTile);
}

} // namespace kiln::onnx_import
