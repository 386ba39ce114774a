//===- Slice.cpp - Slice and Gather ---------------------------------------===//
//
// Slice: ONNX clamps starts and ends to the dimension and allows negative
// indices and steps. Strides other than 1 become a reshape trick (cut
// count * step rows, view them as [count, step], keep column 0); negative
// steps reverse the axis first.
//
// Gather: constant indices on a known tensor fold (shape subgraphs); a single
// index or a contiguous run is a slice; anything else is tosa.gather on the
// tensor viewed as [outer, dim, inner].
//
// ReverseSequence with constant sequence_lens is a gather of rows: each
// (time, batch) row reads time len - 1 - t below its length, itself above.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

struct AxisSlice {
  int64_t start = 0, step = 1, count = 0;
};

// Applies ONNX's clamping rules to one axis.
AxisSlice clampSlice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  auto wrap = [&](int64_t i) { return i < 0 ? i + dim : i; };
  start = wrap(start);
  end = wrap(end);
  AxisSlice s;
  s.step = step;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    s.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    s.count = start > end ? (start - end - step - 1) / -step : 0;
  }
  s.start = start;
  return s;
}

// Rows start + i * step (i < count) of every axis, all steps positive: one
// slice; for steps > 1 it cuts count * step rows (padding the tail where the
// tensor is shorter), views each such axis as [count, step] and keeps
// column 0.
Value stridedSlice(OpContext &op, Value x, llvm::ArrayRef<AxisSlice> slices) {
  llvm::ArrayRef<int64_t> shape = typeOf(x).getShape();
  int64_t rank = shape.size();
  llvm::SmallVector<int64_t> start(rank), size(rank), lowHigh(2 * rank, 0), split, splitSize;
  llvm::SmallVector<int64_t> result(rank);
  bool strided = false;
  for (int64_t d = 0; d < rank; ++d) {
    const AxisSlice &s = slices[d];
    int64_t want = s.count * s.step;
    start[d] = s.start;
    size[d] = std::min(want, shape[d] - s.start);
    lowHigh[2 * d + 1] = want - size[d];
    result[d] = s.count;
    split.push_back(s.count);
    splitSize.push_back(s.count);
    if (s.step > 1) {
      strided = true;
      split.push_back(s.step);
      splitSize.push_back(1);
    }
  }
  x = slice(op.builder(), op.loc(), x, start, size);
  if (!strided)
    return x;
  x = pad(op.builder(), op.loc(), x, lowHigh, 0.0);
  x = reshape(op.builder(), op.loc(), x, split);
  x = slice(op.builder(), op.loc(), x, llvm::SmallVector<int64_t>(split.size(), 0), splitSize);
  return reshape(op.builder(), op.loc(), x, result);
}

llvm::Error convertSlice(OpContext &op) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  int64_t rank = in.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (op.opset() < 10) {
    starts = op.attrInts("starts");
    ends = op.attrInts("ends");
    axes = op.attrInts("axes");
  } else {
    for (auto [i, target, what] : {std::tuple{1, &starts, "starts"},
                                   {2, &ends, "ends"},
                                   {3, &axes, "axes"},
                                   {4, &steps, "steps"}}) {
      if (!op.hasInput(i))
        continue;
      auto ints = op.constInts(i, what);
      if (!ints)
        return ints.takeError();
      *target = *ints;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return op.fail("starts, ends, axes and steps have different lengths");

  std::vector<AxisSlice> slices(rank);
  for (int64_t d = 0; d < rank; ++d)
    slices[d] = {0, 1, in[d]};
  for (size_t i = 0; i < starts.size(); ++i) {
    auto axis = op.normalizeAxis(axes[i], rank);
    if (!axis)
      return axis.takeError();
    if (steps[i] == 0)
      return op.fail("steps must not be 0");
    slices[*axis] = clampSlice(starts[i], ends[i], steps[i], in[*axis]);
    // An empty slice of a known tensor (a shape's prefix, as the
    // LayerNormalization expansions take) stays a literal for Concat or
    // Shape to use; a kernel cannot produce an empty tensor.
    if (slices[*axis].count == 0 && !op.literal(0))
      return op.fail("the slice of axis " + llvm::Twine(*axis) +
                     " is empty; empty tensors are not supported");
  }

  if (const Literal *lit = op.literal(0)) {
    std::vector<int64_t> start, step, shape;
    for (const AxisSlice &s : slices) {
      start.push_back(s.start);
      step.push_back(s.step);
      shape.push_back(s.count);
    }
    op.setLiteral(0, lit->strided(start, step, shape));
    return llvm::Error::success();
  }
  // Negative steps: reverse those axes, then take the same rows forwards.
  Value x = op.value(0);
  for (int64_t d = 0; d < rank; ++d) {
    AxisSlice &s = slices[d];
    if (s.step > 0)
      continue;
    x = op.create<tosa::ReverseOp>(x.getType(), x, op.builder().getI32IntegerAttr(d));
    s = {in[d] - 1 - s.start, -s.step, s.count};
  }
  x = stridedSlice(op, x, slices);
  op.setValue(0, x);
  return llvm::Error::success();
}

llvm::Error convertGather(OpContext &op) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  auto axis = op.normalizeAxis(op.attrInt("axis", 0), in.size());
  if (!axis)
    return axis.takeError();
  int64_t dim = in[*axis];
  llvm::SmallVector<int64_t> indexShape(op.shape(1));
  const Literal *indexLit = op.literal(1);
  std::vector<int64_t> indices;
  if (indexLit) {
    indices = indexLit->toInts();
    for (int64_t &i : indices) {
      if (i < -dim || i >= dim)
        return op.fail("index " + llvm::Twine(i) + " is out of range for dimension " +
                       llvm::Twine(dim));
      if (i < 0)
        i += dim;
    }
  }
  llvm::SmallVector<int64_t> outShape(in.take_front(*axis));
  outShape.append(indexShape);
  outShape.append(in.begin() + *axis + 1, in.end());

  const Literal *data = op.literal(0);
  if (data && indexLit && (data->size() <= kMaxFoldElements || data->isSplat())) {
    op.setLiteral(0, data->gather(indices, indexShape, *axis));
    return llvm::Error::success();
  }
  Value x = op.value(0);
  if (indexLit && !indices.empty()) {
    bool contiguous = true;
    for (size_t i = 1; i < indices.size(); ++i)
      contiguous &= indices[i] == indices[0] + static_cast<int64_t>(i);
    if (contiguous) {
      llvm::SmallVector<int64_t> start(in.size(), 0), size(in);
      start[*axis] = indices[0];
      size[*axis] = indices.size();
      op.setValue(0, reshape(op.builder(), op.loc(), slice(op.builder(), op.loc(), x, start, size),
                             outShape));
      return llvm::Error::success();
    }
  }
  // tosa.gather: values [N, K, C], indices [N, W] (i32) -> [N, W, C].
  int64_t outer = numElements(in.take_front(*axis));
  int64_t inner = numElements(in.drop_front(*axis + 1));
  int64_t width = numElements(indexShape);
  Type i32 = op.builder().getI32Type();
  Value idx;
  if (indexLit) {
    std::vector<int64_t> tiled;
    for (int64_t o = 0; o < outer; ++o)
      tiled.insert(tiled.end(), indices.begin(), indices.end());
    idx = op.constant(Literal::fromInts(kInt32, {outer, width}, tiled), "gather_indices");
  } else {
    // Negative indices count from the end: i + dim * (i < 0).
    idx = reshape(op.builder(), op.loc(), castElements(op.builder(), op.loc(), op.value(1), i32),
                  {1, width});
    Value negative =
        binary<tosa::GreaterOp>(op.builder(), op.loc(), scalarLike(op.builder(), op.loc(), idx, 0),
                                idx, op.builder().getI1Type());
    idx = select(op.builder(), op.loc(), negative,
                 binary<tosa::AddOp>(op.builder(), op.loc(), idx,
                                     scalarLike(op.builder(), op.loc(), idx, dim)),
                 idx);
    if (outer > 1)
      idx = op.create<tosa::TileOp>(tensorOf({outer, width}, i32), idx,
                                    op.builder().getDenseI64ArrayAttr({outer, 1}));
  }
  Value values = reshape(op.builder(), op.loc(), x, {outer, dim, inner});
  Value gathered = op.create<tosa::GatherOp>(
      tensorOf({outer, width, inner}, typeOf(x).getElementType()), values, idx);
  op.setValue(0, reshape(op.builder(), op.loc(), gathered, outShape));
  return llvm::Error::success();
}

llvm::Error convertReverseSequence(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  if (op.rank(0) < 2)
    return op.fail("input must have rank 2 or more");
  int64_t timeAxis = op.attrInt("time_axis", 0), batchAxis = op.attrInt("batch_axis", 1);
  if (!((timeAxis == 0 && batchAxis == 1) || (timeAxis == 1 && batchAxis == 0)))
    return op.fail("time_axis and batch_axis must be 0 and 1 (in either order)");
  auto lens = op.constInts(1, "sequence_lens");
  if (!lens)
    return lens.takeError();
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  int64_t steps = shape[timeAxis], batch = shape[batchAxis];
  if (static_cast<int64_t>(lens->size()) != batch)
    return op.fail("sequence_lens must have one entry per batch (" + llvm::Twine(batch) + ")");
  std::vector<int64_t> rows(steps * batch);
  for (int64_t n = 0; n < batch; ++n) {
    int64_t len = (*lens)[n];
    if (len < 1 || len > steps)
      return op.fail("sequence length " + llvm::Twine(len) + " is outside 1.." +
                     llvm::Twine(steps));
    for (int64_t t = 0; t < steps; ++t) {
      int64_t from = t < len ? len - 1 - t : t;
      // Row numbers in the input's order of its first two axes.
      int64_t out = timeAxis == 0 ? t * batch + n : n * steps + t;
      rows[out] = timeAxis == 0 ? from * batch + n : n * steps + from;
    }
  }
  int64_t count = steps * batch, inner = numElements(shape.drop_front(2));
  Value values = reshape(b, loc, op.value(0), {1, count, inner});
  Value idx = op.constant(Literal::fromInts(kInt32, {1, count}, rows), "reverse_rows");
  Value gathered =
      op.create<tosa::GatherOp>(tensorOf({1, count, inner}, op.elementType(0)), values, idx);
  op.setValue(0, reshape(b, loc, gathered, shape));
  return llvm::Error::success();
}

} // namespace

void registerSliceOps(OpTable &table) {
  table.add("Slice", convertSlice);
  table.add("Gather", convertGather);
  table.add("ReverseSequence", convertReverseSequence);
}

} // namespace kiln::onnx_import
