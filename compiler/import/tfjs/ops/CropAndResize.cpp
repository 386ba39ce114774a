//===- CropAndResize.cpp - CropAndResize as gathers at computed points -----===//
//
// TF.js's CropAndResize (tfjs-backend-cpu cropAndResize): crop k of box
// [y1, x1, y2, x2] (normalised) samples image box_ind[k] at
//   y = y1 * (H - 1) + i * (y2 - y1) * (H - 1) / (crop_h - 1)
// (the box centre when crop_h is 1), and x alike; a point outside the image
// gives extrapolation_value. Bilinear reads the four neighbours
// (floor/ceil), nearest the rounded point (JavaScript's Math.round: half
// up). The points are computed in TOSA (boxes may be run-time data), the
// pixels are tosa.gather rows of the image as [1, B * H * W, C].
// box_ind must be known at import. Coordinates are float32 where TF.js
// computes in float64: a point within rounding of a pixel edge may lerp
// from the neighbour with a weight near 0 (a difference near rounding).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

struct Axis {
  Value at;     // sample coordinates, float32
  Value inside; // i1: within [0, size - 1]
};

// Coordinates along one axis: lo, hi are [NB, 1, 1] (or [NB, 1] alike),
// `shape` puts the crop positions on the right dimension.
Axis sampleAxis(OpBuilder &b, Location loc, Value lo, Value hi, int64_t size, int64_t crop,
                std::vector<int64_t> shape) {
  Type f32 = b.getF32Type();
  Value last = splatConstant(b, loc, f32, size - 1, {1, 1, 1});
  Value at;
  if (crop > 1) {
    std::vector<float> steps(crop);
    for (int64_t i = 0; i < crop; ++i)
      steps[i] = i;
    auto type = tensorOf(shape, f32);
    Value positions = b.create<tosa::ConstOp>(
                           loc, type, DenseElementsAttr::get(type, llvm::ArrayRef<float>(steps)))
                          .getResult();
    Value scale = mul(b, loc, mul(b, loc, binary<tosa::SubOp>(b, loc, hi, lo), last),
                      splatConstant(b, loc, f32, 1.0 / double(crop - 1), {1, 1, 1}));
    at = binary<tosa::AddOp>(b, loc, mul(b, loc, lo, last), mul(b, loc, positions, scale));
  } else {
    at = mul(b, loc, mul(b, loc, binary<tosa::AddOp>(b, loc, lo, hi), last),
             splatConstant(b, loc, f32, 0.5, {1, 1, 1}));
  }
  Value zero = splatConstant(b, loc, f32, 0, {1, 1, 1});
  Value inside = binary<tosa::LogicalAndOp>(
      b, loc, binary<tosa::GreaterEqualOp>(b, loc, at, zero, b.getI1Type()),
      binary<tosa::GreaterEqualOp>(b, loc, last, at, b.getI1Type()));
  return {at, inside};
}

// An integer pixel index from an integral float coordinate, clamped in range.
Value pixel(OpBuilder &b, Location loc, Value v, int64_t size) {
  return castElements(b, loc, clamp(b, loc, v, 0, size - 1), b.getI32Type());
}

llvm::Error convertCropAndResize(OpContext &node) {
  if (node.rank(0) != 4 || node.dtype(0) != DType::F32)
    return node.fail("image must be a float32 [batch, height, width, channels] tensor");
  if (node.rank(1) != 2 || node.shape(1)[1] != 4 || node.dtype(1) != DType::F32)
    return node.fail("boxes must be float32 [num_boxes, 4], not " + shapeString(node.shape(1)));
  int64_t nb = node.shape(1)[0];
  auto boxInd = node.constInts(2, "box_ind");
  if (!boxInd)
    return boxInd.takeError();
  auto crop = node.constInts(3, "crop_size");
  if (!crop)
    return crop.takeError();
  if (static_cast<int64_t>(boxInd->size()) != nb)
    return node.fail("box_ind has " + llvm::Twine(boxInd->size()) + " values for " +
                     llvm::Twine(nb) + " boxes");
  if (crop->size() != 2 || (*crop)[0] < 1 || (*crop)[1] < 1)
    return node.fail("crop_size must be two sizes of at least 1");
  llvm::ArrayRef<int64_t> img = node.shape(0);
  int64_t batch = img[0], h = img[1], w = img[2], c = img[3], ch = (*crop)[0], cw = (*crop)[1];
  for (int64_t i : *boxInd)
    if (i < 0 || i >= batch)
      return node.fail("box_ind " + llvm::Twine(i) + " is outside the batch of " +
                       llvm::Twine(batch));
  std::string method = node.attrs().getString("method", "bilinear");
  if (method != "bilinear" && method != "nearest")
    return node.fail("method '" + method + "' is not supported (bilinear or nearest)");
  float extrapolation = node.attrs().getFloat("extrapolation_value", 0);

  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Value boxes = node.value(1);
  auto corner = [&](int64_t k) {
    return reshape(b, loc, slice(b, loc, boxes, {0, k}, {nb, 1}), {nb, 1, 1});
  };
  Axis y = sampleAxis(b, loc, corner(0), corner(2), h, ch, {1, ch, 1});
  Axis x = sampleAxis(b, loc, corner(1), corner(3), w, cw, {1, 1, cw});
  std::vector<int64_t> base;
  for (int64_t i : *boxInd)
    base.push_back(i * h * w);
  Value boxBase = i32Constant(node, base, {nb, 1, 1});
  Value widthI = splatConstant(b, loc, i32, w, {1, 1, 1});
  Value image = reshape(b, loc, node.value(0), {1, batch * h * w, c});
  int64_t count = nb * ch * cw;
  // The pixels at rows `yi` [NB, CH, 1] and columns `xi` [NB, 1, CW].
  auto gatherAt = [&](Value yi, Value xi) {
    Value index = binary<tosa::AddOp>(
        b, loc, binary<tosa::AddOp>(b, loc, boxBase, mul(b, loc, yi, widthI)), xi);
    index = reshape(b, loc, index, {1, count});
    Value rows =
        b.create<tosa::GatherOp>(loc, tensorOf({1, count, c}, f32), image, index).getResult();
    return reshape(b, loc, rows, {nb, ch, cw, c});
  };
  auto floorOf = [&](Value v) { return unary<tosa::FloorOp>(b, loc, v); };
  auto ceilOf = [&](Value v) { return unary<tosa::CeilOp>(b, loc, v); };
  Value out;
  if (method == "nearest") {
    Value half = splatConstant(b, loc, f32, 0.5, {1, 1, 1});
    out = gatherAt(pixel(b, loc, floorOf(binary<tosa::AddOp>(b, loc, y.at, half)), h),
                   pixel(b, loc, floorOf(binary<tosa::AddOp>(b, loc, x.at, half)), w));
  } else {
    Value top = floorOf(y.at), left = floorOf(x.at);
    Value topI = pixel(b, loc, top, h), bottomI = pixel(b, loc, ceilOf(y.at), h);
    Value leftI = pixel(b, loc, left, w), rightI = pixel(b, loc, ceilOf(x.at), w);
    Value yLerp = reshape(b, loc, binary<tosa::SubOp>(b, loc, y.at, top), {nb, ch, 1, 1});
    Value xLerp = reshape(b, loc, binary<tosa::SubOp>(b, loc, x.at, left), {nb, 1, cw, 1});
    auto lerp = [&](Value a, Value z, Value t) {
      return binary<tosa::AddOp>(b, loc, a, mul(b, loc, binary<tosa::SubOp>(b, loc, z, a), t));
    };
    Value upper = lerp(gatherAt(topI, leftI), gatherAt(topI, rightI), xLerp);
    Value lower = lerp(gatherAt(bottomI, leftI), gatherAt(bottomI, rightI), xLerp);
    out = lerp(upper, lower, yLerp);
  }
  Value inside = binary<tosa::LogicalAndOp>(b, loc, reshape(b, loc, y.inside, {nb, ch, 1, 1}),
                                            reshape(b, loc, x.inside, {nb, 1, cw, 1}));
  node.setValue(
      0, select(b, loc, inside, out, splatConstant(b, loc, f32, extrapolation, {1, 1, 1, 1})));
  return llvm::Error::success();
}

} // namespace

void registerCropAndResizeOps(OpTable &table) {
  table.add("CropAndResize", convertCropAndResize, 4, 4);
}

} // namespace kiln::tfjs_import
