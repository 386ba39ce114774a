//===- Slice.cpp - StridedSlice, Slice, Split, SplitV, Unpack -------------===//
//
// StridedSlice follows TF's own reading of its masks (begin, end, ellipsis,
// new_axis, shrink_axis): a sparse spec expanded to one (begin, end, stride)
// per input dimension, then a final reshape that adds new axes and drops
// shrunk ones. TOSA's slice has no stride: a negative stride reverses the
// dimension first, and a stride s > 1 pads the slice to a multiple of s,
// splits the dimension into (n, s) and keeps the first of each s.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"
#include "compiler/import/tfjs/ops/RowSource.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// A possibly strided, possibly reversed slice of one dimension.
struct DimSlice {
  int64_t begin = 0, stride = 1, size = 0;
};

// Slices `v` along each dimension. Device path of StridedSlice.
Value stridedSlice(OpContext &node, Value v, llvm::ArrayRef<DimSlice> dims) {
  if (llvm::all_of(dims, [](const DimSlice &s) { return s.stride == 1; })) {
    llvm::SmallVector<int64_t> start, size;
    for (const DimSlice &s : dims) {
      start.push_back(s.begin);
      size.push_back(s.size);
    }
    return slice(node.builder(), node.loc(), v, start, size);
  }
  for (size_t d = 0; d < dims.size(); ++d) {
    DimSlice s = dims[d];
    llvm::SmallVector<int64_t> shape(typeOf(v).getShape());
    if (s.stride < 0) {
      v = node.create<tosa::ReverseOp>(v.getType(), v, node.builder().getI32IntegerAttr(d));
      s.begin = shape[d] - 1 - s.begin;
      s.stride = -s.stride;
    }
    llvm::SmallVector<int64_t> start(shape.size(), 0), size(shape);
    if (s.size == 0 || s.stride == 1) {
      start[d] = s.size ? s.begin : 0;
      size[d] = s.size;
      v = slice(node.builder(), node.loc(), v, start, size);
      continue;
    }
    // Take [begin, begin + size * stride), padding past the end if needed.
    int64_t span = std::min(s.size * s.stride, shape[d] - s.begin);
    start[d] = s.begin;
    size[d] = span;
    v = slice(node.builder(), node.loc(), v, start, size);
    llvm::SmallVector<int64_t> lowHigh(2 * shape.size(), 0);
    lowHigh[2 * d + 1] = s.size * s.stride - span;
    v = pad(node.builder(), node.loc(), v, lowHigh, 0);
    llvm::SmallVector<int64_t> split(shape);
    split[d] = s.size;
    split.insert(split.begin() + d + 1, s.stride);
    v = reshape(node.builder(), node.loc(), v, split);
    llvm::SmallVector<int64_t> first(split.size(), 0), firstSize(split);
    firstSize[d + 1] = 1;
    v = slice(node.builder(), node.loc(), v, first, firstSize);
    split.erase(split.begin() + d + 1);
    v = reshape(node.builder(), node.loc(), v, split);
  }
  return v;
}

// Defines `output` as the slice `dims` of input `input`, reshaped to
// `finalShape`.
void defineSliced(OpContext &node, int input, int output, llvm::ArrayRef<DimSlice> dims,
                  llvm::ArrayRef<int64_t> finalShape) {
  std::vector<int64_t> shape(finalShape.begin(), finalShape.end());
  if (const Literal *h = node.literal(input)) {
    std::vector<int64_t> begin, step, size;
    for (const DimSlice &s : dims) {
      begin.push_back(s.begin);
      step.push_back(s.stride);
      size.push_back(s.size);
    }
    node.setLiteral(output, h->strided(begin, step, size).reshaped(shape));
    return;
  }
  node.setValue(output, reshape(node.builder(), node.loc(),
                                stridedSlice(node, node.value(input), dims), shape));
}

llvm::Error convertStridedSlice(OpContext &node) {
  auto begin = node.constInts(1, "begin");
  auto end = node.constInts(2, "end");
  auto strides = node.constInts(3, "strides");
  if (!begin || !end || !strides) {
    llvm::Error err = llvm::joinErrors(begin.takeError(), end.takeError());
    return llvm::joinErrors(std::move(err), strides.takeError());
  }
  AttrReader &a = node.attrs();
  int64_t beginMask = a.getInt("begin_mask", 0), endMask = a.getInt("end_mask", 0);
  int64_t ellipsisMask = a.getInt("ellipsis_mask", 0), newAxisMask = a.getInt("new_axis_mask", 0);
  int64_t shrinkMask = a.getInt("shrink_axis_mask", 0);
  int64_t n = begin->size();
  if (static_cast<int64_t>(end->size()) != n || static_cast<int64_t>(strides->size()) != n)
    return node.fail("begin, end and strides differ in length");
  if (ellipsisMask & (ellipsisMask - 1))
    return node.fail("more than one ellipsis");
  llvm::ArrayRef<int64_t> in = node.shape(0);
  int64_t rank = in.size();

  // Expand the sparse spec: one DimSlice per input dimension, and the final
  // shape as a list of input dimensions (or -1 for a new axis).
  std::vector<DimSlice> dims(rank);
  std::vector<bool> shrink(rank, false), covered(rank, false);
  std::vector<int64_t> layout; // input dim, or -1 for a new axis
  auto full = [&](int64_t d) {
    dims[d] = DimSlice{0, 1, in[d]};
    covered[d] = true;
    layout.push_back(d);
  };
  int64_t dim = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (ellipsisMask & (1ll << i)) {
      int64_t later = 0; // spec entries after the ellipsis that use a dimension
      for (int64_t j = i + 1; j < n; ++j)
        later += !(newAxisMask & (1ll << j));
      for (int64_t stop = rank - later; dim < stop; ++dim)
        full(dim);
      continue;
    }
    if (newAxisMask & (1ll << i)) {
      layout.push_back(-1);
      continue;
    }
    if (dim >= rank)
      return node.fail("the slice spec has more dimensions than the input " + shapeString(in));
    int64_t size = in[dim], stride = (*strides)[i];
    if (stride == 0)
      return node.fail("stride 0 in dimension " + llvm::Twine(dim));
    bool isShrink = shrinkMask & (1ll << i);
    int64_t b = (*begin)[i], e = (*end)[i];
    DimSlice s;
    if (isShrink) {
      b = b < 0 ? b + size : b;
      if (b < 0 || b >= size)
        return node.fail("index " + llvm::Twine((*begin)[i]) + " is out of range for dimension " +
                         llvm::Twine(dim) + " of size " + llvm::Twine(size));
      s = DimSlice{b, 1, 1};
    } else {
      // Masked ends take the whole dimension in the stride's direction;
      // others are wrapped once and clamped, as TF does.
      auto resolve = [&](int64_t v, bool masked, bool isBegin) {
        if (masked && isBegin)
          return stride > 0 ? int64_t(0) : size - 1;
        if (masked)
          return stride > 0 ? size : int64_t(-1);
        v = v < 0 ? v + size : v;
        return stride > 0 ? std::clamp<int64_t>(v, 0, size) : std::clamp<int64_t>(v, -1, size - 1);
      };
      b = resolve(b, beginMask & (1ll << i), true);
      e = resolve(e, endMask & (1ll << i), false);
      int64_t length = stride > 0 ? (e - b + stride - 1) / stride : (b - e - stride - 1) / -stride;
      s = DimSlice{b, stride, std::max<int64_t>(length, 0)};
    }
    dims[dim] = s;
    covered[dim] = true;
    shrink[dim] = isShrink;
    layout.push_back(dim);
    ++dim;
  }
  for (; dim < rank; ++dim) // an implicit ellipsis at the end
    full(dim);

  std::vector<int64_t> finalShape;
  for (int64_t d : layout) {
    if (d < 0)
      finalShape.push_back(1);
    else if (!shrink[d])
      finalShape.push_back(dims[d].size);
  }
  for (const DimSlice &s : dims)
    if (s.size == 0)
      return node.fail("the slice is empty; Kiln does not support empty tensors");
  defineSliced(node, 0, 0, dims, finalShape);
  return llvm::Error::success();
}

llvm::Error convertSlice(OpContext &node) {
  if (!node.literal(2) && !node.literal(0) && import::isBounded(node.value(0)))
    return sliceKeepingRows(node); // docs/BOUNDED.md
  auto begin = node.constInts(1, "begin");
  if (!begin)
    return begin.takeError();
  auto size = node.constInts(2, "size");
  if (!size)
    return size.takeError();
  llvm::ArrayRef<int64_t> in = node.shape(0);
  if (begin->size() != in.size() || size->size() != in.size())
    return node.fail("begin and size must have one entry per dimension of " + shapeString(in));
  std::vector<DimSlice> dims;
  std::vector<int64_t> shape;
  for (size_t d = 0; d < in.size(); ++d) {
    int64_t b = (*begin)[d], s = (*size)[d] == -1 ? in[d] - b : (*size)[d];
    if (b < 0 || s < 1 || b + s > in[d])
      return node.fail("slice [" + llvm::Twine(b) + ", +" + llvm::Twine((*size)[d]) +
                       ") does not fit dimension " + llvm::Twine(d) + " of " + shapeString(in));
    dims.push_back(DimSlice{b, 1, s});
    shape.push_back(s);
  }
  defineSliced(node, 0, 0, dims, shape);
  return llvm::Error::success();
}

// Cuts input `input` along `axis` into pieces of `sizes`, one per output.
void splitInto(OpContext &node, int input, int64_t axis, llvm::ArrayRef<int64_t> sizes) {
  llvm::ArrayRef<int64_t> in = node.shape(input);
  int64_t offset = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<DimSlice> dims;
    std::vector<int64_t> shape(in.begin(), in.end());
    for (size_t d = 0; d < in.size(); ++d)
      dims.push_back(static_cast<int64_t>(d) == axis ? DimSlice{offset, 1, sizes[i]}
                                                     : DimSlice{0, 1, in[d]});
    shape[axis] = sizes[i];
    defineSliced(node, input, i, dims, shape);
    offset += sizes[i];
  }
}

// Split: (split_dim, value), num_split equal pieces.
llvm::Error convertSplit(OpContext &node) {
  auto axisValue = node.constInts(0, "split_dim");
  if (!axisValue)
    return axisValue.takeError();
  if (axisValue->size() != 1)
    return node.fail("split_dim must hold one value");
  llvm::ArrayRef<int64_t> in = node.shape(1);
  auto axis = node.normalizeAxis((*axisValue)[0], in.size());
  if (!axis)
    return axis.takeError();
  int64_t num = node.attrs().getInt("num_split", 1);
  if (num < 1 || in[*axis] % num != 0)
    return node.fail("dimension " + llvm::Twine(*axis) + " of " + shapeString(in) +
                     " does not split into " + llvm::Twine(num) + " equal pieces");
  splitInto(node, 1, *axis, std::vector<int64_t>(num, in[*axis] / num));
  return llvm::Error::success();
}

// SplitV: (value, size_splits, split_dim); one size may be -1.
llvm::Error convertSplitV(OpContext &node) {
  auto sizes = node.constInts(1, "size_splits");
  if (!sizes)
    return sizes.takeError();
  auto axisValue = node.constInts(2, "split_dim");
  if (!axisValue)
    return axisValue.takeError();
  if (axisValue->size() != 1)
    return node.fail("split_dim must hold one value");
  llvm::ArrayRef<int64_t> in = node.shape(0);
  auto axis = node.normalizeAxis((*axisValue)[0], in.size());
  if (!axis)
    return axis.takeError();
  int64_t known = 0, inferred = -1;
  for (size_t i = 0; i < sizes->size(); ++i) {
    if ((*sizes)[i] == -1 && inferred < 0)
      inferred = i;
    else if ((*sizes)[i] < 1)
      return node.fail("bad size_splits " + shapeString(*sizes));
    else
      known += (*sizes)[i];
  }
  if (inferred >= 0)
    (*sizes)[inferred] = in[*axis] - known;
  if ((inferred >= 0 && (*sizes)[inferred] < 1) || (inferred < 0 && known != in[*axis]))
    return node.fail("size_splits " + shapeString(*sizes) + " do not add up to dimension " +
                     llvm::Twine(*axis) + " of " + shapeString(in));
  splitInto(node, 0, *axis, *sizes);
  return llvm::Error::success();
}

llvm::Error convertUnpack(OpContext &node) {
  llvm::ArrayRef<int64_t> in = node.shape(0);
  auto axis = node.normalizeAxis(node.attrs().getInt("axis", 0), in.size());
  if (!axis)
    return axis.takeError();
  int64_t num = node.attrs().getInt("num", in[*axis]);
  if (num != in[*axis])
    return node.fail("num is " + llvm::Twine(num) + " but dimension " + llvm::Twine(*axis) +
                     " has size " + llvm::Twine(in[*axis]));
  std::vector<int64_t> shape(in.begin(), in.end());
  shape.erase(shape.begin() + *axis);
  for (int64_t i = 0; i < num; ++i) {
    std::vector<DimSlice> dims;
    for (size_t d = 0; d < in.size(); ++d)
      dims.push_back(static_cast<int64_t>(d) == *axis ? DimSlice{i, 1, 1} : DimSlice{0, 1, in[d]});
    defineSliced(node, 0, i, dims, shape);
  }
  return llvm::Error::success();
}

} // namespace

void registerSliceOps(OpTable &table) {
  table.add("StridedSlice", convertStridedSlice, 4, 4);
  table.add("Slice", convertSlice, 3, 3);
  table.add("Split", convertSplit, 2, 2);
  table.add("SplitV", convertSplitV, 3, 3);
  table.add("Unpack", convertUnpack, 1, 1);
}

} // namespace kiln::tfjs_import
