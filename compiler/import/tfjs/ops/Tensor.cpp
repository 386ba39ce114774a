//===- Tensor.cpp - Reshape, Squeeze, ExpandDims, Transpose, Concat, Pack, Pad, Tile ===//
//
// Data movement. Known inputs move on the host (that is how shape
// subgraphs fold, and how reshaped weights stay plain constants); others
// become TOSA ops. A concatenation or padding of a bounded value back to a
// static length (docs/BOUNDED.md) is ops/Count.h's.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Count.h"
#include "compiler/import/tfjs/ops/FillPast.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// The dimension of `to` that holds dimension `axis` of `from` whole, with
// the same elements before it (a squeeze or expand around it), or -1.
int64_t keptAxis(llvm::ArrayRef<int64_t> from, llvm::ArrayRef<int64_t> to, int64_t axis) {
  int64_t before = numElements(from.take_front(axis));
  for (size_t d = 0; d < to.size(); ++d)
    if (numElements(to.take_front(d)) == before && to[d] == from[axis])
      return d;
  return -1;
}

// Defines output 0 as `shape` of input 0's elements, in order. A bounded
// input (docs/BOUNDED.md: Where's [n, 1] rows squeezed to indices) stays
// bounded with its count when the reshape keeps its bounded dimension.
void setReshaped(OpContext &node, llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> dims(shape.begin(), shape.end());
  if (const Literal *h = node.literal(0)) {
    node.setLiteral(0, h->reshaped(dims));
    return;
  }
  Value in = node.value(0);
  Value out = reshape(node.builder(), node.loc(), in, dims);
  if (import::isBounded(in)) {
    int64_t axis = keptAxis(node.shape(0), dims, import::compactAxis(in.getDefiningOp()));
    if (axis >= 0)
      out = import::followCount(node.builder(), node.loc(), out, axis, in).first;
  }
  node.setValue(0, out);
}

llvm::Error convertReshape(OpContext &node) {
  auto requested = node.constInts(1, "shape");
  if (!requested)
    return requested.takeError();
  std::vector<int64_t> shape = *requested;
  int64_t known = 1, inferred = -1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1 && inferred < 0)
      inferred = d;
    else if (shape[d] < 0)
      return node.fail("bad target shape " + shapeString(shape));
    else
      known *= shape[d];
  }
  int64_t total = numElements(node.shape(0));
  if (inferred >= 0 && known > 0 && total % known == 0)
    shape[inferred] = total / known;
  if (numElements(shape) != total || (inferred >= 0 && known == 0))
    return node.fail("cannot reshape " + shapeString(node.shape(0)) + " to " +
                     shapeString(*requested));
  setReshaped(node, shape);
  return llvm::Error::success();
}

llvm::Error convertSqueeze(OpContext &node) {
  std::vector<int64_t> dims = node.attrs().getInts("squeeze_dims");
  if (dims.empty())
    dims = node.attrs().getInts("axis");
  llvm::ArrayRef<int64_t> in = node.shape(0);
  std::vector<bool> drop(in.size(), dims.empty());
  if (dims.empty()) {
    for (size_t d = 0; d < in.size(); ++d)
      drop[d] = in[d] == 1;
  }
  for (int64_t dim : dims) {
    auto axis = node.normalizeAxis(dim, in.size());
    if (!axis)
      return axis.takeError();
    if (in[*axis] != 1)
      return node.fail("cannot squeeze dimension " + llvm::Twine(*axis) + " of " + shapeString(in) +
                       ": its size is not 1");
    drop[*axis] = true;
  }
  std::vector<int64_t> shape;
  for (size_t d = 0; d < in.size(); ++d)
    if (!drop[d])
      shape.push_back(in[d]);
  setReshaped(node, shape);
  return llvm::Error::success();
}

llvm::Error convertExpandDims(OpContext &node) {
  auto dim = node.constInts(1, "dim");
  if (!dim)
    return dim.takeError();
  if (dim->size() != 1)
    return node.fail("dim must hold one value, not " + llvm::Twine(dim->size()));
  int64_t rank = node.rank(0);
  auto axis = node.normalizeAxis((*dim)[0], rank + 1);
  if (!axis)
    return axis.takeError();
  std::vector<int64_t> shape(node.shape(0).begin(), node.shape(0).end());
  shape.insert(shape.begin() + *axis, 1);
  setReshaped(node, shape);
  return llvm::Error::success();
}

llvm::Error convertTranspose(OpContext &node) {
  auto perm = node.constInts(1, "perm");
  if (!perm)
    return perm.takeError();
  int64_t rank = node.rank(0);
  std::vector<bool> seen(rank, false);
  bool valid = static_cast<int64_t>(perm->size()) == rank;
  for (int64_t p : *perm) {
    valid = valid && p >= 0 && p < rank && !seen[p];
    if (valid)
      seen[p] = true;
  }
  if (!valid)
    return node.fail("perm " + shapeString(*perm) + " is not a permutation of " +
                     llvm::Twine(rank) + " dimensions");
  if (const Literal *h = node.literal(0))
    node.setLiteral(0, h->transposed(*perm));
  else
    node.setValue(0, transpose(node.builder(), node.loc(), node.value(0), *perm));
  return llvm::Error::success();
}

// Concatenates inputs [first, first + count) along `axis` (checked here).
llvm::Error concatInputs(OpContext &node, int first, int count, int64_t axisIn) {
  llvm::ArrayRef<int64_t> ref = node.shape(first);
  auto axis = node.normalizeAxis(axisIn, ref.size());
  if (!axis)
    return axis.takeError();
  bool allKnown = true, anyBounded = false;
  for (int i = first; i < first + count; ++i) {
    llvm::ArrayRef<int64_t> s = node.shape(i);
    anyBounded = anyBounded || (!node.literal(i) && import::isBounded(node.value(i)));
    bool fits = s.size() == ref.size() && node.dtype(i) == node.dtype(first);
    for (size_t d = 0; fits && d < s.size(); ++d)
      fits = static_cast<int64_t>(d) == *axis || s[d] == ref[d];
    if (!fits)
      return node.fail("cannot concatenate " + shapeString(s) + " (" + dtypeName(node.dtype(i)) +
                       ") with " + shapeString(ref) + " (" + dtypeName(node.dtype(first)) +
                       ") along axis " + llvm::Twine(*axis));
    allKnown = allKnown && node.literal(i);
  }
  if (anyBounded)
    return concatBounded(node, first, count, *axis);
  if (allKnown) {
    std::vector<const Literal *> parts;
    for (int i = first; i < first + count; ++i)
      parts.push_back(node.literal(i));
    node.setLiteral(0, Literal::concat(parts, *axis));
    return llvm::Error::success();
  }
  llvm::SmallVector<Value> parts;
  for (int i = first; i < first + count; ++i)
    if (numElements(node.shape(i)) > 0 || count == 1)
      parts.push_back(node.value(i));
  node.setValue(0, concat(node.builder(), node.loc(), parts, *axis));
  return llvm::Error::success();
}

llvm::Error convertConcatV2(OpContext &node) {
  int n = node.numInputs() - 1;
  auto axis = node.constInts(n, "axis");
  if (!axis)
    return axis.takeError();
  if (axis->size() != 1)
    return node.fail("axis must hold one value");
  return concatInputs(node, 0, n, (*axis)[0]);
}

llvm::Error convertConcat(OpContext &node) { // the old form: axis first
  auto axis = node.constInts(0, "concat_dim");
  if (!axis)
    return axis.takeError();
  if (axis->size() != 1)
    return node.fail("concat_dim must hold one value");
  return concatInputs(node, 1, node.numInputs() - 1, (*axis)[0]);
}

llvm::Error convertPack(OpContext &node) {
  llvm::ArrayRef<int64_t> ref = node.shape(0);
  auto axis = node.normalizeAxis(node.attrs().getInt("axis", 0), ref.size() + 1);
  if (!axis)
    return axis.takeError();
  std::vector<int64_t> expanded(ref.begin(), ref.end());
  expanded.insert(expanded.begin() + *axis, 1);
  bool allKnown = true;
  for (int i = 0; i < node.numInputs(); ++i) {
    if (node.shape(i) != ref || node.dtype(i) != node.dtype(0))
      return node.fail("cannot stack " + shapeString(node.shape(i)) + " with " + shapeString(ref));
    allKnown = allKnown && node.literal(i);
  }
  if (allKnown) {
    std::vector<Literal> reshaped;
    for (int i = 0; i < node.numInputs(); ++i)
      reshaped.push_back(node.literal(i)->reshaped(expanded));
    std::vector<const Literal *> parts;
    for (const Literal &t : reshaped)
      parts.push_back(&t);
    node.setLiteral(0, Literal::concat(parts, *axis));
    return llvm::Error::success();
  }
  llvm::SmallVector<Value> parts;
  for (int i = 0; i < node.numInputs(); ++i)
    parts.push_back(reshape(node.builder(), node.loc(), node.value(i), expanded));
  node.setValue(0, concat(node.builder(), node.loc(), parts, *axis));
  return llvm::Error::success();
}

llvm::Error convertPad(OpContext &node) {
  double padValue = 0;
  if (node.numInputs() > 2) {
    const Literal *h = node.literal(2);
    if (!h || h->size() != 1)
      return node.fail("constant_values must be a known scalar");
    padValue = h->at(0);
  }
  if (!node.literal(1) && !node.literal(0) && import::isBounded(node.value(0)) &&
      countSource(node.value(1)))
    return padBounded(node, padValue);
  auto paddings = node.constInts(1, "paddings");
  if (!paddings)
    return paddings.takeError();
  int64_t rank = node.rank(0);
  if (static_cast<int64_t>(paddings->size()) != 2 * rank)
    return node.fail("paddings must be [" + llvm::Twine(rank) + ", 2], not " +
                     shapeString(node.shape(1)));
  if (llvm::any_of(*paddings, [](int64_t p) { return p < 0; }))
    return node.fail("negative paddings are not supported");
  node.setValue(0, pad(node.builder(), node.loc(), node.value(0), *paddings, padValue));
  return llvm::Error::success();
}

llvm::Error convertTile(OpContext &node) {
  auto multiples = node.constInts(1, "multiples");
  if (!multiples)
    return multiples.takeError();
  llvm::ArrayRef<int64_t> in = node.shape(0);
  if (multiples->size() != in.size() || llvm::any_of(*multiples, [](int64_t m) { return m < 1; }))
    return node.fail("multiples " + shapeString(*multiples) + " do not fit " + shapeString(in));
  std::vector<int64_t> shape;
  for (size_t d = 0; d < in.size(); ++d)
    shape.push_back(in[d] * (*multiples)[d]);
  const Literal *h = node.literal(0);
  if (h && numElements(shape) <= kMaxFoldElements) {
    std::vector<int64_t> source(numElements(shape)), inStrides = rowMajorStrides(in);
    std::vector<int64_t> outStrides = rowMajorStrides(shape);
    for (int64_t i = 0; i < static_cast<int64_t>(source.size()); ++i) {
      int64_t src = 0;
      for (size_t d = 0; d < in.size(); ++d)
        src += ((i / outStrides[d]) % shape[d] % in[d]) * inStrides[d];
      source[i] = src;
    }
    node.setLiteral(0, h->remapped(shape, source));
    return llvm::Error::success();
  }
  node.setValue(0, node.create<tosa::TileOp>(tensorOf(shape, node.elementType(0)), node.value(0),
                                             node.builder().getDenseI64ArrayAttr(*multiples)));
  return llvm::Error::success();
}

// DepthToSpace (NHWC, DCR order): out[n, h b + i, w b + j, c] =
// in[n, h, w, (i b + j) C' + c], a reshape, a transpose and a reshape.
llvm::Error convertDepthToSpace(OpContext &node) {
  std::string format = node.attrs().getString("data_format", "NHWC");
  if (format != "NHWC")
    return node.fail("data_format " + format + " is not supported");
  int64_t b = node.attrs().getInt("block_size", 0);
  llvm::ArrayRef<int64_t> in = node.shape(0);
  if (in.size() != 4 || b < 2 || in[3] % (b * b) != 0)
    return node.fail("block_size " + llvm::Twine(b) + " does not fit " + shapeString(in));
  int64_t c = in[3] / (b * b);
  Value v = reshape(node.builder(), node.loc(), node.value(0), {in[0], in[1], in[2], b, b, c});
  v = transpose(node.builder(), node.loc(), v, {0, 1, 3, 2, 4, 5});
  node.setValue(0, reshape(node.builder(), node.loc(), v, {in[0], in[1] * b, in[2] * b, c}));
  return llvm::Error::success();
}

} // namespace

void registerTensorOps(OpTable &table) {
  table.add("Reshape", convertReshape, 2, 2);
  table.add("Squeeze", convertSqueeze, 1, 1);
  table.add("ExpandDims", convertExpandDims, 2, 2);
  table.add("Transpose", convertTranspose, 2, 2);
  table.add("ConcatV2", convertConcatV2, 2, -1);
  table.add("Concat", convertConcat, 2, -1);
  table.add("Pack", convertPack, 1, -1);
  table.add("Pad", convertPad, 2, 2);
  table.add("PadV2", convertPad, 3, 3);
  table.add("Tile", convertTile, 2, 2);
  table.add("DepthToSpace", convertDepthToSpace, 1, 1);
}

} // namespace kiln::tfjs_import
