//===- Resize.cpp - Resize and Upsample as tosa.resize --------------------===//
//
// tosa.resize maps output row y to input coordinate (y * D + OFF) / N for
// integers N, D, OFF (its scale_n, scale_d and offset), then either rounds
// half up (NEAREST_NEIGHBOR) or interpolates between the two neighbours, with
// indices clamped to the input (BILINEAR). Each ONNX coordinate mode is such
// an affine map with a rational scale:
//   asymmetric          x = y / s                     N = n,   D = d,   OFF = 0
//   half_pixel          x = (y + 1/2) / s - 1/2       N = 2n,  D = 2d,  OFF = d - n
//   pytorch_half_pixel  as half_pixel, or 0 for a length-1 output
//   align_corners       x = y (in - 1) / (out - 1)    N = out-1, D = in-1
//   tf_half_pixel_for_nn x = (y + 1/2) / s            N = 2n,  D = 2d,  OFF = d
// where s = n / d. ONNX's nearest modes other than round-half-up shift OFF by
// a fraction of a step (coordinates are multiples of 1/N, so this is exact):
// floor(x) = round_half_up(x - 1/2), and so on. Samples more than a row
// outside the input (TOSA's offset and border limits) read the clamped edge
// row, so the input is extended with copies of its edge rows instead. What
// TOSA cannot express (cubic, crop-and-resize, shrinking 16 times or more) is
// an error.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <cmath>
#include <numeric>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

struct Affine {
  int64_t n, d, offset;
};

// The smallest n/d equal to `scale` up to float precision.
std::optional<std::pair<int64_t, int64_t>> rationalScale(double scale) {
  for (int64_t d = 1; d <= 1024; ++d) {
    int64_t n = std::llround(scale * d);
    if (n > 0 && std::abs(static_cast<double>(n) / d - scale) <= 1e-6 * scale)
      return std::make_pair(n, d);
  }
  return std::nullopt;
}

llvm::Expected<Affine> coordinateMap(OpContext &op, llvm::StringRef mode, int64_t in, int64_t out,
                                     int64_t n, int64_t d) {
  if (mode == "asymmetric")
    return Affine{n, d, 0};
  if (mode == "half_pixel" || (mode == "pytorch_half_pixel" && out > 1))
    return Affine{2 * n, 2 * d, d - n};
  if (mode == "pytorch_half_pixel")
    return Affine{2 * n, 2 * d, 0}; // only y = 0, which maps to 0
  if (mode == "align_corners")
    return out > 1 ? Affine{out - 1, std::max<int64_t>(in - 1, 1), 0} : Affine{1, 1, 0};
  if (mode == "tf_half_pixel_for_nn")
    return Affine{2 * n, 2 * d, d};
  return op.fail("coordinate_transformation_mode '" + mode + "' is not supported");
}

// Rewrites `a` so that TOSA's round-half-up gives ONNX's nearest_mode.
llvm::Expected<Affine> nearestRounding(OpContext &op, llvm::StringRef mode, Affine a) {
  if (mode == "round_prefer_ceil")
    return a;
  if (mode == "round_prefer_floor") // ceil(x - 1/2) = floor(x + 1/2 - 1/(2N))
    return Affine{2 * a.n, 2 * a.d, 2 * a.offset - 1};
  if (mode == "floor") // floor(x) = floor((x - 1/2) + 1/2)
    return Affine{2 * a.n, 2 * a.d, 2 * a.offset - a.n};
  if (mode == "ceil") // ceil(x) = floor(x + 1 - 1/N)
    return Affine{2 * a.n, 2 * a.d, 2 * a.offset + a.n - 2};
  return op.fail("nearest_mode '" + mode + "' is not supported");
}

// `x` with its first row repeated `before` times in front and its last row
// `after` times behind, along `axis`.
Value padWithEdgeRows(OpContext &op, Value x, int64_t axis, int64_t before, int64_t after) {
  llvm::SmallVector<Value> parts;
  auto edge = [&](bool last, int64_t count) {
    llvm::SmallVector<int64_t> start(typeOf(x).getRank(), 0), size(typeOf(x).getShape());
    start[axis] = last ? size[axis] - 1 : 0;
    size[axis] = 1;
    Value row = slice(op.builder(), op.loc(), x, start, size);
    llvm::SmallVector<int64_t> multiples(size.size(), 1), shape(size);
    multiples[axis] = shape[axis] = count;
    return count == 1 ? row
                      : op.create<tosa::TileOp>(tensorOf(shape, typeOf(x).getElementType()), row,
                                                op.builder().getDenseI64ArrayAttr(multiples));
  };
  if (before)
    parts.push_back(edge(false, before));
  parts.push_back(x);
  if (after)
    parts.push_back(edge(true, after));
  return concat(op.builder(), op.loc(), parts, axis);
}

struct ResizeParams {
  bool nearest;
  std::string coordinates;
  std::string rounding; // nearest only; "simple" is Upsample/Resize-10's
};

llvm::Error buildResize(OpContext &op, const ResizeParams &params, const Literal *scales,
                        const Literal *sizes) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  if (in.size() != 4)
    return op.fail("only 4-D (NCHW) inputs are supported");
  int64_t out[4];
  double scale[4];
  for (int i = 0; i < 4; ++i) {
    if (sizes) {
      out[i] = sizes->intAt(i);
      scale[i] = static_cast<double>(out[i]) / in[i];
    } else {
      scale[i] = scales->doubleAt(i);
      out[i] = static_cast<int64_t>(std::floor(in[i] * scale[i]));
    }
    if (out[i] < 1)
      return op.fail("the output would be empty");
  }
  if (out[0] != in[0] || out[1] != in[1])
    return op.fail("only the spatial dimensions (H, W) may be resized");

  int64_t tosaScale[4], offset[2], border[2], padBefore[2], padAfter[2];
  for (int axis = 0; axis < 2; ++axis) {
    int64_t inLen = in[2 + axis], outLen = out[2 + axis];
    std::pair<int64_t, int64_t> nd = {outLen, inLen};
    if (!sizes) {
      auto r = rationalScale(scale[2 + axis]);
      if (!r)
        return op.fail("scale " + std::to_string(scale[2 + axis]) + " is not a simple fraction");
      nd = *r;
    }
    // One input row: every sample reads it. An axis that keeps its size at
    // scale 1 is copied as it is (ONNX Runtime does so even where a
    // coordinate mode would shift it, as tf_half_pixel_for_nn with ceil).
    bool identity = inLen == outLen && nd.first == nd.second;
    llvm::Expected<Affine> a = inLen == 1 ? Affine{outLen, 1, 0} : Affine{1, 1, 0};
    if (inLen > 1 && !identity)
      a = coordinateMap(op, params.coordinates, inLen, outLen, nd.first, nd.second);
    if (!a)
      return a.takeError();
    if (params.nearest && inLen > 1 && !identity) {
      std::string rounding = params.rounding;
      if (rounding == "simple") // floor when upsampling, ceil when downsampling
        rounding = scale[2 + axis] >= 1.0 ? "floor" : "ceil";
      a = nearestRounding(op, rounding, *a);
      if (!a)
        return a.takeError();
    }
    int64_t g = std::gcd(std::gcd(a->n, a->d), std::abs(a->offset));
    a->n /= g;
    a->d /= g;
    a->offset /= g;
    int64_t b = (outLen - 1) * a->d - (inLen - 1) * a->n + a->offset;
    // TOSA bounds offset and border to about one input row outside the
    // tensor. Samples further out read the clamped edge row; so does an input
    // extended by copies of its edge rows, which brings them back in range.
    padAfter[axis] = b >= a->n ? b / a->n : 0;
    b -= padAfter[axis] * a->n;
    padBefore[axis] = a->offset < -a->n ? (-a->offset - 1) / a->n : 0;
    a->offset += padBefore[axis] * a->n;
    if (a->n > 2048 || a->d >= 16 * a->n || a->offset >= 16 * a->n || b < -16 * a->n)
      return op.fail("this resize (" + llvm::Twine(inLen) + " to " + llvm::Twine(outLen) +
                     ") is beyond what tosa.resize expresses exactly");
    tosaScale[2 * axis] = a->n;
    tosaScale[2 * axis + 1] = a->d;
    offset[axis] = a->offset;
    border[axis] = b;
  }
  auto &bld = op.builder();
  Value x = toNHWC(op.builder(), op.loc(), op.value(0));
  for (int axis = 0; axis < 2; ++axis)
    x = padWithEdgeRows(op, x, 1 + axis, padBefore[axis], padAfter[axis]);
  auto outType = tensorOf({in[0], out[2], out[3], in[1]}, typeOf(x).getElementType());
  Value y = op.create<tosa::ResizeOp>(
      outType, x, bld.getDenseI64ArrayAttr(tosaScale), bld.getDenseI64ArrayAttr(offset),
      bld.getDenseI64ArrayAttr(border),
      bld.getStringAttr(params.nearest ? "NEAREST_NEIGHBOR" : "BILINEAR"));
  op.setValue(0, toNCHW(op.builder(), op.loc(), y));
  return llvm::Error::success();
}

llvm::Expected<bool> isNearest(OpContext &op) {
  std::string mode = op.attrString("mode", "nearest");
  if (mode == "nearest")
    return true;
  if (mode == "linear" || mode == "bilinear")
    return false;
  return op.fail("mode '" + mode + "' is not supported (nearest and linear are)");
}

const Literal *nonEmptyInput(OpContext &op, int i) {
  const Literal *lit = op.hasInput(i) ? op.literal(i) : nullptr;
  return lit && lit->size() > 0 ? lit : nullptr;
}

llvm::Error convertResize(OpContext &op) {
  auto nearest = isNearest(op);
  if (!nearest)
    return nearest.takeError();
  ResizeParams params{*nearest, "asymmetric", "simple"};
  const Literal *scales = nullptr, *sizes = nullptr;
  if (op.opset() < 11) {
    scales = nonEmptyInput(op, 1);
  } else {
    params.coordinates = op.attrString("coordinate_transformation_mode", "half_pixel");
    params.rounding = op.attrString("nearest_mode", "round_prefer_floor");
    scales = nonEmptyInput(op, 2);
    sizes = nonEmptyInput(op, 3);
  }
  if (!scales && !sizes)
    return op.fail("scales or sizes must be constants");
  if ((scales ? scales->size() : sizes->size()) != op.rank(0))
    return op.fail("scales or sizes need one entry per input dimension");
  return buildResize(op, params, sizes ? nullptr : scales, sizes);
}

// Upsample (deprecated in opset 10): asymmetric, nearest rounds as Resize-10.
llvm::Error convertUpsample(OpContext &op) {
  auto nearest = isNearest(op);
  if (!nearest)
    return nearest.takeError();
  ResizeParams params{*nearest, "asymmetric", "simple"};
  if (op.opset() < 9) {
    std::vector<float> values = op.attrFloats("scales");
    std::vector<double> doubles(values.begin(), values.end());
    Literal scales = Literal::fromDoubles(kFloat, {static_cast<int64_t>(doubles.size())}, doubles);
    if (scales.size() != op.rank(0))
      return op.fail("scales needs one entry per input dimension");
    return buildResize(op, params, &scales, nullptr);
  }
  const Literal *scales = nonEmptyInput(op, 1);
  if (!scales || scales->size() != op.rank(0))
    return op.fail("scales must be a constant with one entry per input dimension");
  return buildResize(op, params, scales, nullptr);
}

} // namespace

void registerResizeOps(OpTable &table) {
  table.add("Resize", convertResize);
  table.add("Upsample", convertUpsample);
}

} // namespace kiln::onnx_import
