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
// row, so the input is extended with copies of its edge rows instead.
//
// What tosa.resize cannot express (cubic, tf_crop_and_resize) is separable
// all the same: each axis is a fixed [out, in] matrix of weights, computed
// on the host as ONNX's reference computes them (neighbours read through an
// edge-padded input, exclude_outside renormalising, samples outside the crop
// giving extrapolation_value), and the resize is two tosa.matmul with those
// constants. Shrinking 16 times or more with nearest or linear stays an
// error (it is beyond tosa.resize's exact limits).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

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
  bool cubic = false;
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0.0;
  std::vector<double> roi = {}; // tf_crop_and_resize: starts, then ends
};

// Weights of one output sample over the `in` input rows, as ONNX's reference
// interpolates in 1-D (op_resize.py); nullopt where a crop sample lies outside
// the input (it takes extrapolation_value).
std::optional<std::vector<double>> sampleWeights(const ResizeParams &p, int64_t in, int64_t outInt,
                                                 double scale, int64_t y, double roiStart,
                                                 double roiEnd) {
  double out = scale * in, x;
  const std::string &mode = p.coordinates;
  if (mode == "align_corners") {
    x = out == 1 ? 0.0 : y * (in - 1) / (out - 1);
  } else if (mode == "asymmetric") {
    x = y / scale;
  } else if (mode == "tf_crop_and_resize") {
    x = out == 1 ? (roiEnd - roiStart) * (in - 1) / 2
                 : y * (roiEnd - roiStart) * (in - 1) / (out - 1);
    x += roiStart * (in - 1);
    if (x < 0 || x > in - 1)
      return std::nullopt;
  } else if (mode == "pytorch_half_pixel") {
    x = out == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
  } else if (mode == "half_pixel_symmetric") {
    x = in / 2.0 * (1 - outInt / out) + (y + 0.5) / scale - 0.5;
  } else { // half_pixel (checked by the caller)
    x = (y + 0.5) / scale - 0.5;
  }
  // The neighbours: the n nearest rows, ties to the lower one, so that the
  // fraction lies in (0, 1].
  double ratio = x == std::floor(x) ? 1.0 : x - std::floor(x);
  std::vector<double> coeffs;
  if (p.cubic) {
    double a = p.cubicA, r = ratio, q = 1 - ratio;
    coeffs = {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
              ((a + 2) * r - (a + 3)) * r * r + 1, ((a + 2) * q - (a + 3)) * q * q + 1,
              ((a * (q + 1) - 5 * a) * (q + 1) + 8 * a) * (q + 1) - 4 * a};
  } else if (!p.nearest) {
    coeffs = {1 - ratio, ratio};
  } else {
    bool up = ratio == 1.0 || (p.rounding == "round_prefer_floor" && ratio > 0.5) ||
              (p.rounding == "round_prefer_ceil" && ratio >= 0.5) || p.rounding == "ceil";
    coeffs = {up ? 0.0 : 1.0, up ? 1.0 : 0.0};
  }
  int64_t n = coeffs.size(), first = static_cast<int64_t>(std::ceil(x)) - n / 2;
  if (ratio == 1.0)
    first = static_cast<int64_t>(x) - n / 2;
  // The reference reads an input padded by n/2 edge rows: a window that
  // would start further out slides inward.
  first = std::clamp<int64_t>(first, -n / 2, in + n / 2 - n);
  if (p.excludeOutside) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (first + i < 0 || first + i >= in)
        coeffs[i] = 0;
      sum += coeffs[i];
    }
    for (double &c : coeffs)
      c /= sum;
  }
  std::vector<double> row(in, 0.0);
  for (int64_t i = 0; i < n; ++i)
    row[std::clamp<int64_t>(first + i, 0, in - 1)] += coeffs[i];
  return row;
}

// Resizes H and W of NCHW `x` by two matrix products with constant weights.
llvm::Error buildResizeByMatrices(OpContext &op, const ResizeParams &p, const int64_t out[4],
                                  const double scale[4]) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  int64_t n = in[0], c = in[1];
  // Constant weights: out x in per axis, bounded so they stay small.
  if (out[2] * in[2] > (1 << 20) || out[3] * in[3] > (1 << 20))
    return op.fail("this resize (" + llvm::Twine(in[2]) + "x" + llvm::Twine(in[3]) + " to " +
                   llvm::Twine(out[2]) + "x" + llvm::Twine(out[3]) +
                   ") needs interpolation matrices over 2^20 entries");
  std::vector<bool> outside[2];
  std::vector<double> matrix[2]; // [in, out], for x (rows) @ matrix
  for (int axis = 0; axis < 2; ++axis) {
    int64_t inLen = in[2 + axis], outLen = out[2 + axis];
    matrix[axis].assign(inLen * outLen, 0.0);
    outside[axis].assign(outLen, false);
    double roiStart = p.roi.empty() ? 0 : p.roi[2 + axis],
           roiEnd = p.roi.empty() ? 1 : p.roi[6 + axis];
    for (int64_t y = 0; y < outLen; ++y) {
      auto row = sampleWeights(p, inLen, outLen, scale[2 + axis], y, roiStart, roiEnd);
      if (!row) {
        outside[axis][y] = true;
        continue;
      }
      for (int64_t i = 0; i < inLen; ++i)
        matrix[axis][i * outLen + y] = (*row)[i];
    }
  }
  auto &b = op.builder();
  Location loc = op.loc();
  Type f32 = b.getF32Type();
  auto matmul = [&](Value rows, int axis, int64_t inLen,
                    int64_t outLen) { // [1, M, in] @ [1, in, out]
    Value w = op.constant(Literal::fromDoubles(kFloat, {1, inLen, outLen}, matrix[axis]),
                          axis == 0 ? "resize_rows" : "resize_columns");
    int64_t m = typeOf(rows).getDimSize(1);
    return op.create<tosa::MatMulOp>(tensorOf({1, m, outLen}, f32), rows, w);
  };
  // Width first, on [N * C * H, W]; then height, on [N * C * Wo, H].
  Value x = reshape(b, loc, op.value(0), {1, n * c * in[2], in[3]});
  x = matmul(x, 1, in[3], out[3]);
  x = transpose(b, loc, reshape(b, loc, x, {n * c, in[2], out[3]}), {0, 2, 1});
  x = matmul(reshape(b, loc, x, {1, n * c * out[3], in[2]}), 0, in[2], out[2]);
  x = transpose(b, loc, reshape(b, loc, x, {n, c, out[3], out[2]}), {0, 1, 3, 2});
  bool anyOutside = false;
  std::vector<double> fill(out[2] * out[3], 0.0);
  for (int64_t i = 0; i < out[2]; ++i)
    for (int64_t j = 0; j < out[3]; ++j)
      if (outside[0][i] || outside[1][j]) {
        fill[i * out[3] + j] = p.extrapolation;
        anyOutside = true;
      }
  // Outside samples have all-zero weights; they take extrapolation_value.
  if (anyOutside && p.extrapolation != 0.0)
    x = binary<tosa::AddOp>(
        b, loc, x,
        op.constant(Literal::fromDoubles(kFloat, {1, 1, out[2], out[3]}, fill), "extrapolation"));
  op.setValue(0, x);
  return llvm::Error::success();
}

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
  if (params.cubic || params.coordinates == "tf_crop_and_resize") {
    static const char *const modes[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                        "asymmetric", "tf_crop_and_resize", "half_pixel_symmetric"};
    if (llvm::find(modes, params.coordinates) == std::end(modes))
      return op.fail("coordinate_transformation_mode '" + params.coordinates +
                     "' is not supported with this mode");
    if (!op.elementType(0).isF32())
      return op.fail("cubic and crop-and-resize are supported on float32 inputs only");
    return buildResizeByMatrices(op, params, out, scale);
  }

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
  if (mode == "linear" || mode == "bilinear" || (mode == "cubic" && op.opType() == "Resize"))
    return false;
  return op.fail("mode '" + mode + "' is not supported");
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
  params.cubic = op.attrString("mode", "nearest") == "cubic";
  const Literal *scales = nullptr, *sizes = nullptr;
  if (op.opset() < 11) {
    scales = nonEmptyInput(op, 1);
  } else {
    params.coordinates = op.attrString("coordinate_transformation_mode", "half_pixel");
    params.rounding = op.attrString("nearest_mode", "round_prefer_floor");
    params.cubicA = op.attrFloat("cubic_coeff_a", -0.75f);
    params.excludeOutside = op.attrInt("exclude_outside", 0) != 0;
    params.extrapolation = op.attrFloat("extrapolation_value", 0.0f);
    scales = nonEmptyInput(op, 2);
    sizes = nonEmptyInput(op, 3);
    if (params.coordinates == "tf_crop_and_resize") {
      const Literal *roi = nonEmptyInput(op, 1);
      if (!roi)
        return op.fail("tf_crop_and_resize needs roi as a constant");
      if (roi->size() != 2 * op.rank(0))
        return op.fail("roi needs a start and an end per input dimension");
      params.roi = roi->toDoubles();
    }
  }
  if (params.rounding != "simple" && params.rounding != "round_prefer_floor" &&
      params.rounding != "round_prefer_ceil" && params.rounding != "floor" &&
      params.rounding != "ceil")
    return op.fail("nearest_mode '" + params.rounding + "' is not supported");
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
