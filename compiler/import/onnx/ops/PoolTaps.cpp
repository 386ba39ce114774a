//===- PoolTaps.cpp - pooling as a sum or max over window taps ------------===//
//
// See PoolTaps.h. Also MaxUnpool, the inverse of MaxPool's Indices: each
// output element sums the inputs whose index names it, a compare of every
// output position with every input position of its (n, c) plane, refused
// above 2^24 compares as the scatters are (ops/Scatter.cpp).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/ops/PoolTaps.h"

#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/import/onnx/ops/Window.h"

#include <limits>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// Elements start, start + stride, ... (count of them) of `v` along `axis`;
// `v` holds at least start + count * stride elements there.
Value stridedView(OpBuilder &b, Location loc, Value v, int64_t axis, int64_t start, int64_t count,
                  int64_t stride) {
  llvm::SmallVector<int64_t> shape(typeOf(v).getShape()), offsets(shape.size(), 0);
  offsets[axis] = start;
  shape[axis] = count * stride;
  v = slice(b, loc, v, offsets, shape);
  if (stride == 1)
    return v;
  llvm::SmallVector<int64_t> split(shape);
  split[axis] = count;
  split.insert(split.begin() + axis + 1, stride);
  v = reshape(b, loc, v, split);
  llvm::SmallVector<int64_t> first(split), zeros(split.size(), 0);
  first[axis + 1] = 1;
  v = slice(b, loc, v, zeros, first);
  shape[axis] = count;
  return reshape(b, loc, v, shape);
}

// Per output position and dimension, the input rows a window covers: all
// of them, or those within the model's own pads (count_include_pad).
std::vector<double> windowCounts(llvm::ArrayRef<WindowDim> dims, bool includePad) {
  std::vector<double> counts(1, 1.0);
  for (const WindowDim &d : dims) {
    std::vector<double> next;
    for (double c : counts)
      for (int64_t o = 0; o < d.out; ++o) {
        int64_t lo = includePad ? -d.padBegin : 0, hi = includePad ? d.in + d.padEnd : d.in;
        int64_t n = 0;
        for (int64_t k = 0; k < d.kernel; ++k) {
          int64_t p = o * d.stride - d.padBegin + k * d.dilation;
          n += p >= lo && p < hi;
        }
        next.push_back(c * std::max<int64_t>(n, 1));
      }
    counts = std::move(next);
  }
  return counts;
}

} // namespace

llvm::Error convertPoolByTaps(OpContext &op, bool isMax) {
  llvm::ArrayRef<int64_t> xs = op.shape(0);
  int64_t rank = xs.size(), spatial = rank - 2;
  if (spatial < 1 || spatial > 3)
    return op.fail("only 1-D, 2-D and 3-D pooling is supported (input rank " + llvm::Twine(rank) +
                   ")");
  Type element = op.elementType(0);
  if (!element.isF32())
    return op.fail("3-D, dilated or index-returning pooling is supported on float32 only");
  std::vector<int64_t> kernel = op.attrInts("kernel_shape");
  if (static_cast<int64_t>(kernel.size()) != spatial)
    return op.fail("kernel_shape must have one entry per spatial dimension");
  auto window = readWindow(op, xs.drop_front(2), kernel, op.attrInt("ceil_mode", 0) != 0);
  if (!window)
    return window.takeError();
  int64_t taps = 1, outCount = 1;
  for (const WindowDim &d : *window) {
    taps *= d.kernel;
    outCount *= d.out;
  }
  if (taps > 1024)
    return op.fail("windows of more than 1024 elements are not supported here (" +
                   llvm::Twine(taps) + ")");
  if (xs[0] * xs[1] * outCount > std::numeric_limits<int32_t>::max() ||
      op.type(0).getNumElements() > std::numeric_limits<int32_t>::max())
    return op.fail("tensors over 2^31 elements are not supported");

  auto &b = op.builder();
  Location loc = op.loc();
  // Pads: the model's at the start; at the end, enough for every tap's
  // strided view (rows past the model's end pads are never selected).
  llvm::SmallVector<int64_t> lowHigh(2 * rank, 0);
  for (int64_t i = 0; i < spatial; ++i) {
    const WindowDim &d = (*window)[i];
    lowHigh[2 * (2 + i)] = d.padBegin;
    lowHigh[2 * (2 + i) + 1] =
        std::max<int64_t>(0, (d.kernel - 1) * d.dilation + d.out * d.stride - d.padBegin - d.in);
  }
  // The lowest finite float rather than -inf: fast-math code may assume
  // values are finite.
  double fill = isMax ? std::numeric_limits<float>::lowest() : 0.0;
  Value x = pad(b, loc, op.value(0), lowHigh, fill);

  std::vector<int64_t> constShape(2, 1);
  for (const WindowDim &d : *window)
    constShape.push_back(d.out);
  // storage_order = 1 numbers the spatial positions column-major.
  std::vector<int64_t> inStrides = rowMajorStrides(xs.drop_front(2));
  if (op.attrInt("storage_order", 0) != 0)
    for (int64_t i = 0, stride = 1; i < spatial; stride *= xs[2 + i], ++i)
      inStrides[i] = stride;
  bool indices = isMax && op.hasOutput(1);
  Value best, bestIndex;
  Type i1 = b.getI1Type();
  for (int64_t t = 0; t < taps; ++t) {
    llvm::SmallVector<int64_t> k(spatial);
    for (int64_t i = spatial - 1, rest = t; i >= 0; --i) {
      k[i] = rest % (*window)[i].kernel;
      rest /= (*window)[i].kernel;
    }
    Value v = x;
    for (int64_t i = 0; i < spatial; ++i) {
      const WindowDim &d = (*window)[i];
      v = stridedView(b, loc, v, 2 + i, k[i] * d.dilation, d.out, d.stride);
    }
    Value index;
    if (indices) { // the tap's flat position in its (n, c) plane
      std::vector<int64_t> flat(outCount, 0);
      for (int64_t o = 0; o < outCount; ++o)
        for (int64_t i = spatial - 1, rest = o; i >= 0; --i) {
          const WindowDim &d = (*window)[i];
          flat[o] += (rest % d.out * d.stride - d.padBegin + k[i] * d.dilation) * inStrides[i];
          rest /= d.out;
        }
      index = op.constant(Literal::fromInts(kInt32, constShape, flat), "pool_tap_index");
    }
    if (!best) {
      best = v;
      bestIndex = index;
    } else if (!isMax) {
      best = binary<tosa::AddOp>(b, loc, best, v);
    } else if (indices) { // strictly greater: the first maximum wins, as in ONNX Runtime
      Value better = binary<tosa::GreaterOp>(b, loc, v, best, i1);
      best = select(b, loc, better, v, best);
      bestIndex = select(b, loc, better, index, bestIndex);
    } else {
      best = binary<tosa::MaximumOp>(b, loc, best, v);
    }
  }
  if (!isMax) {
    std::vector<double> counts = windowCounts(*window, op.attrInt("count_include_pad", 0) != 0);
    for (double &c : counts)
      c = 1.0 / c;
    best = mul(b, loc, best,
               op.constant(Literal::fromDoubles(kFloat, constShape, counts), "pool_counts"));
  }
  op.setValue(0, best);
  if (indices) {
    int64_t plane = op.type(0).getNumElements() / (xs[0] * xs[1]);
    std::vector<int64_t> planes;
    for (int64_t p = 0; p < xs[0] * xs[1]; ++p)
      planes.push_back(p * plane);
    llvm::SmallVector<int64_t> planeShape(rank, 1);
    planeShape[0] = xs[0];
    planeShape[1] = xs[1];
    Value offsets =
        op.constant(Literal::fromInts(
                        kInt32, std::vector<int64_t>(planeShape.begin(), planeShape.end()), planes),
                    "pool_plane_offset");
    Value flat = binary<tosa::AddOp>(b, loc, bestIndex, offsets);
    op.setValue(1, castElements(b, loc, flat, b.getI64Type()));
  }
  return llvm::Error::success();
}

namespace {

llvm::Error convertMaxUnpool(OpContext &op) {
  llvm::ArrayRef<int64_t> xs = op.shape(0);
  int64_t rank = xs.size(), spatial = rank - 2;
  if (spatial < 1 || op.shape(1) != xs)
    return op.fail("X and I must have one shape [N, C, ...]");
  std::vector<int64_t> kernel = op.attrInts("kernel_shape");
  std::vector<int64_t> strides = op.attrInts("strides"), pads = op.attrInts("pads");
  if (static_cast<int64_t>(kernel.size()) != spatial ||
      (!strides.empty() && static_cast<int64_t>(strides.size()) != spatial) ||
      (!pads.empty() && static_cast<int64_t>(pads.size()) != 2 * spatial))
    return op.fail("kernel_shape, strides and pads must have one entry per spatial dimension");
  // The indices count in the default output (as MaxPool's input had it); a
  // larger output_shape keeps each element's coordinates (ONNX's data).
  llvm::SmallVector<int64_t> inferred(xs.take_front(2));
  for (int64_t i = 0; i < spatial; ++i)
    inferred.push_back((xs[2 + i] - 1) * (strides.empty() ? 1 : strides[i]) + kernel[i] -
                       (pads.empty() ? 0 : pads[i] + pads[spatial + i]));
  llvm::SmallVector<int64_t> outShape(inferred);
  if (op.hasInput(2)) {
    auto shape = op.constInts(2, "output_shape");
    if (!shape)
      return shape.takeError();
    if (static_cast<int64_t>(shape->size()) != rank || (*shape)[0] != xs[0] || (*shape)[1] != xs[1])
      return op.fail("output_shape must be [N, C, ...] with X's N and C");
    outShape.assign(shape->begin(), shape->end());
  }
  int64_t n = xs[0], c = xs[1], q = op.type(0).getNumElements() / (n * c), p = 1, pInferred = 1;
  for (int64_t i = 0; i < spatial; ++i) {
    p *= outShape[2 + i];
    pInferred *= inferred[2 + i];
  }
  if (n * c * p * q > (int64_t(1) << 24))
    return op.fail("this unpool needs " + llvm::Twine(n * c * p * q) +
                   " compares (over 2^24): too large for the compare-and-sum lowering");
  auto &b = op.builder();
  Location loc = op.loc();
  // The index that names each output element, -1 for none.
  std::vector<int64_t> positions;
  for (int64_t nc = 0; nc < n * c; ++nc)
    for (int64_t j = 0; j < p; ++j) {
      int64_t flat = 0, scale = 1;
      for (int64_t i = spatial - 1, rest = j; i >= 0; --i) {
        int64_t coord = rest % outShape[2 + i];
        rest /= outShape[2 + i];
        flat = coord < inferred[2 + i] && flat >= 0 ? flat + coord * scale : -1;
        scale *= inferred[2 + i];
      }
      positions.push_back(flat < 0 ? -1 : nc * pInferred + flat);
    }
  Value target = op.constant(Literal::fromInts(kInt32, {n, c, p, 1}, positions), "unpool_position");
  Value idx = castElements(b, loc, reshape(b, loc, op.value(1), {n, c, 1, q}), b.getI32Type());
  Value hit = binary<tosa::EqualOp>(b, loc, idx, target, b.getI1Type()); // [N, C, P, Q]
  Value x = reshape(b, loc, op.value(0), {n, c, 1, q});
  Value picked = select(b, loc, hit, x, scalarLike(b, loc, x, 0.0));
  Value sum = reduce<tosa::ReduceSumOp>(b, loc, picked, 3);
  op.setValue(0, reshape(b, loc, sum, outShape));
  return llvm::Error::success();
}

} // namespace

void registerMaxUnpoolOps(OpTable &table) { table.add("MaxUnpool", convertMaxUnpool); }

} // namespace kiln::onnx_import
