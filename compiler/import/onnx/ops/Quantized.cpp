//===- Quantized.cpp - QuantizeLinear, QLinearConv and the Integer ops ----===//
//
// Quantized tensors stay integers: ConvInteger, MatMulInteger and the
// integer part of QLinearConv/QLinearMatMul are TOSA's quantized conv2d and
// matmul (int8/uint8 operands, zero points in quantization_info, int32
// accumulators), which codegen computes as widening integer products.
//
// Rounding is ONNX's, bit for bit: QuantizeLinear is saturate(round_half_even
// (x / scale) + zero_point) with a true division. TOSA has no float division
// (the importer's Div is x * (1/y), which can differ by an ulp and so by one
// step at a tie), so the division and the rounding are one tosa.custom op,
// "kiln.quantize" (x, scale, zero point; "divide", or "multiply" for the
// requantization of QLinear* by x_scale * w_scale / y_scale, as ONNX
// Runtime computes it), emitted by codegen/halide/emit/Quantized.cpp in
// strict float. "kiln.divide" is a strict a / b (DynamicQuantizeLinear's
// scale).
//
// Zero points of the integer ops must be known and per tensor (a
// per-channel one with equal values counts); scales may be run-time values.
// tosa.conv2d takes int8 weights only: uint8 weights and their zero point
// are moved down by 128, which leaves every w - w_zero_point unchanged.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/import/onnx/ops/Window.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

Type f32(OpContext &op) { return op.builder().getF32Type(); }

// A tosa.custom of Kiln's own (see the file comment).
Value custom(OpContext &op, llvm::StringRef name, llvm::StringRef mode, ValueRange inputs,
             RankedTensorType result) {
  auto c =
      op.builder().create<tosa::CustomOp>(op.loc(), TypeRange{result}, name, "kiln", mode, inputs);
  return c->getResult(0);
}

// Input `i` (a scale or zero point: a scalar, one value, or one value per
// slice of `axis`) shaped to broadcast against a tensor of `rank`
// dimensions with `channels` along `axis`. Absent: `absent` ([1, ..., 1]).
llvm::Expected<Value> perAxis(OpContext &op, int i, int64_t rank, int64_t axis, int64_t channels,
                              llvm::StringRef what, Value absent = {}) {
  if (!op.hasInput(i))
    return absent;
  llvm::SmallVector<int64_t> shape(rank, 1);
  int64_t n = numElements(op.shape(i));
  if (n != 1) {
    if (op.rank(i) != 1 || n != channels)
      return op.fail(what + " of shape " + shapeString(op.shape(i)) +
                     " must be a scalar or hold one value per slice of axis " + llvm::Twine(axis) +
                     " (" + llvm::Twine(channels) + ")");
    shape[axis] = channels;
  }
  return reshape(op.builder(), op.loc(), op.value(i), shape);
}

// The axis attribute, made non-negative and checked against `rank`; it
// matters only where the scale (input 1) has more than one value.
llvm::Expected<int64_t> axisOf(OpContext &op, int64_t rank) {
  int64_t axis = op.attrInt("axis", 1);
  if (numElements(op.shape(1)) == 1)
    return 0;
  if (axis < -rank || axis >= rank)
    return op.fail("axis " + llvm::Twine(axis) + " is out of range for rank " + llvm::Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

// x (any number type) as f32.
Value asF32(OpContext &op, Value x) {
  if (typeOf(x).getElementType().isF32())
    return x;
  return castElements(op.builder(), op.loc(), x, f32(op));
}

llvm::Error checkNoBlocks(OpContext &op) {
  if (op.attrInt("block_size", 0) != 0)
    return op.fail("blocked quantization (block_size) is not supported");
  return llvm::Error::success();
}

bool isInt8Or16(Type t) {
  auto i = dyn_cast<IntegerType>(t);
  return i && (i.getWidth() == 8 || i.getWidth() == 16);
}

llvm::Error convertQuantizeLinear(OpContext &op) {
  if (llvm::Error err = checkNoBlocks(op))
    return err;
  int64_t rank = op.rank(0);
  auto axis = axisOf(op, rank);
  if (!axis)
    return axis.takeError();
  int64_t channels = rank ? op.shape(0)[*axis] : 1;
  // The output type is the zero point's; uint8 without one (opset 21's
  // output_dtype names it too).
  int32_t outDType = op.hasInput(2) ? dtypeFor(op.elementType(2))
                                    : static_cast<int32_t>(op.attrInt("output_dtype", kUInt8));
  if (outDType == 0)
    outDType = kUInt8;
  Type out = elementTypeFor(op.builder(), outDType);
  if (!out || !isInt8Or16(out))
    return op.fail("quantizing to " + dtypeName(outDType) +
                   " is not supported (int8, uint8, int16, uint16 are)");
  if (!isa<FloatType>(op.elementType(0)) && !op.elementType(0).isInteger(32))
    return op.fail("x must be floating point or int32");
  llvm::SmallVector<int64_t> ones(rank, 1);
  auto scale = perAxis(op, 1, rank, *axis, channels, "y_scale");
  if (!scale)
    return scale.takeError();
  auto zp = perAxis(op, 2, rank, *axis, channels, "y_zero_point",
                    splatConstant(op.builder(), op.loc(), out, 0.0, ones));
  if (!zp)
    return zp.takeError();
  Value x = asF32(op, op.value(0));
  op.setValue(0, custom(op, "kiln.quantize", "divide", {x, asF32(op, *scale), *zp},
                        tensorOf(op.shape(0), out)));
  return llvm::Error::success();
}

llvm::Error convertDequantizeLinear(OpContext &op) {
  if (llvm::Error err = checkNoBlocks(op))
    return err;
  int64_t rank = op.rank(0);
  auto axis = axisOf(op, rank);
  if (!axis)
    return axis.takeError();
  if (!isa<IntegerType>(op.elementType(0)))
    return op.fail("x must be an integer tensor");
  int64_t channels = rank ? op.shape(0)[*axis] : 1;
  auto scale = perAxis(op, 1, rank, *axis, channels, "x_scale");
  if (!scale)
    return scale.takeError();
  auto zp = perAxis(op, 2, rank, *axis, channels, "x_zero_point");
  if (!zp)
    return zp.takeError();
  // (x - zero_point) * scale, the subtraction exact in f32 (|x| < 2^24 for
  // 8- and 16-bit x; int32 x has no zero point in practice).
  Value x = asF32(op, op.value(0));
  if (*zp)
    x = binary<tosa::SubOp>(op.builder(), op.loc(), x, asF32(op, *zp));
  Type outType = op.elementType(1);
  Value y = mul(op.builder(), op.loc(), x, asF32(op, *scale));
  op.setValue(0, outType.isF32() ? y : castElements(op.builder(), op.loc(), y, outType));
  return llvm::Error::success();
}

// y_scale = (max(x, 0) - min(x, 0)) / 255, y_zero_point = saturate(round(
// -min / y_scale)), y = saturate(round(x / y_scale) + y_zero_point), all
// uint8, as the ONNX reference computes them.
llvm::Error convertDynamicQuantizeLinear(OpContext &op) {
  if (!op.elementType(0).isF32())
    return op.fail("x must be float32");
  auto &b = op.builder();
  int64_t rank = op.rank(0), n = numElements(op.shape(0));
  Value flat = reshape(b, op.loc(), op.value(0), {n});
  auto one = tensorOf({1}, f32(op));
  Value zero = splatConstant(b, op.loc(), f32(op), 0.0, {1});
  Value lo = binary<tosa::MinimumOp>(
      b, op.loc(), op.create<tosa::ReduceMinOp>(one, flat, b.getI32IntegerAttr(0)), zero);
  Value hi = binary<tosa::MaximumOp>(
      b, op.loc(), op.create<tosa::ReduceMaxOp>(one, flat, b.getI32IntegerAttr(0)), zero);
  Value range = binary<tosa::SubOp>(b, op.loc(), hi, lo);
  Value scale =
      custom(op, "kiln.divide", "", {range, splatConstant(b, op.loc(), f32(op), 255, {1})}, one);
  Type u8 = elementTypeFor(b, kUInt8);
  Value negLo = binary<tosa::SubOp>(b, op.loc(), zero, lo);
  Value zp = custom(op, "kiln.quantize", "divide",
                    {negLo, scale, splatConstant(b, op.loc(), u8, 0.0, {1})}, tensorOf({1}, u8));
  llvm::SmallVector<int64_t> ones(rank, 1);
  Value y = custom(op, "kiln.quantize", "divide",
                   {op.value(0), reshape(b, op.loc(), scale, ones), reshape(b, op.loc(), zp, ones)},
                   tensorOf(op.shape(0), u8));
  op.setValue(0, y);
  if (op.hasOutput(1))
    op.setValue(1, reshape(b, op.loc(), scale, {}));
  if (op.hasOutput(2))
    op.setValue(2, reshape(b, op.loc(), zp, {}));
  return llvm::Error::success();
}

// A known zero point (input `i`, absent: 0) that is one value for the
// whole tensor.
llvm::Expected<int64_t> uniformZeroPoint(OpContext &op, int i, llvm::StringRef what) {
  if (!op.hasInput(i))
    return 0;
  auto values = op.constInts(i, what);
  if (!values)
    return values.takeError();
  if (values->empty())
    return op.fail(what + " is empty");
  for (int64_t v : *values)
    if (v != values->front())
      return op.fail(what + " differs between channels; only one zero point per tensor is "
                            "supported");
  return values->front();
}

bool isByte(Type t) { return t.isInteger(8); }

// Input `i` as int8 weights: uint8 ones (on the host when known) and their
// zero point `zp` moved down by 128.
Value int8Weights(OpContext &op, int i, llvm::ArrayRef<int64_t> shape, int64_t &zp) {
  auto &b = op.builder();
  if (op.elementType(i).isSignlessInteger(8)) {
    if (const Literal *lit = op.literal(i))
      return op.constant(lit->reshaped(shape.vec()), op.inputName(i));
    return reshape(b, op.loc(), op.value(i), shape);
  }
  zp -= 128;
  if (const Literal *lit = op.literal(i)) {
    std::vector<int64_t> v = lit->toInts();
    for (int64_t &x : v)
      x -= 128;
    return op.constant(Literal::fromInts(kInt8, shape.vec(), v), op.inputName(i));
  }
  Value w = castElements(b, op.loc(), reshape(b, op.loc(), op.value(i), shape), b.getI32Type());
  w = binary<tosa::SubOp>(b, op.loc(), w, scalarLike(b, op.loc(), w, 128));
  return castElements(b, op.loc(), w, b.getIntegerType(8));
}

// The int32 convolution sum((x - x_zp) * (w - w_zp)) + bias of inputs x
// (0), w (wi) with zero points xzpi/wzpi, as TOSA's quantized conv2d: NCHW
// in, NHWC out (QLinearConv requantizes before the transpose back, so that
// its epilogue joins the conv's kernel and the transposes between layers
// cancel).
llvm::Expected<Value> integerConv(OpContext &op, int wi, int xzpi, int wzpi, int biasi) {
  if (op.rank(0) != 4 || op.rank(wi) != 4)
    return op.fail("only 2-D quantized convolutions are supported (input rank " +
                   llvm::Twine(op.rank(0)) + ")");
  if (!isByte(op.elementType(0)) || !isByte(op.elementType(wi)))
    return op.fail("x and w must be int8 or uint8");
  if (op.attrInt("group", 1) != 1)
    return op.fail("grouped quantized convolutions are not supported");
  llvm::ArrayRef<int64_t> xs = op.shape(0), ws = op.shape(wi);
  int64_t n = xs[0], o = ws[0];
  if (ws[1] != xs[1])
    return op.fail("weights " + shapeString(ws) + " do not fit " + llvm::Twine(xs[1]) +
                   " input channels");
  auto xzp = uniformZeroPoint(op, xzpi, "x_zero_point");
  if (!xzp)
    return xzp.takeError();
  auto wzp = uniformZeroPoint(op, wzpi, "w_zero_point");
  if (!wzp)
    return wzp.takeError();
  auto window = readWindow(op, {xs[2], xs[3]}, {ws[2], ws[3]}, /*ceilMode=*/false);
  if (!window)
    return window.takeError();
  TosaWindowDim h = fitToTosa((*window)[0]), w = fitToTosa((*window)[1]);
  auto &b = op.builder();
  Value x = cropForWindow(op, toNHWC(b, op.loc(), op.value(0)), {h, w});
  int64_t weightZp = *wzp;
  Value weight = int8Weights(op, wi, ws, weightZp);
  weight = transpose(b, op.loc(), weight, {0, 2, 3, 1}); // OHWI
  Value bias;
  if (biasi >= 0 && op.hasInput(biasi)) {
    if (op.rank(biasi) != 1 || op.shape(biasi)[0] != o || !op.elementType(biasi).isInteger(32))
      return op.fail("B must be int32 with one value per output channel (" + llvm::Twine(o) + ")");
    bias = op.value(biasi);
  } else {
    bias = splatConstant(b, op.loc(), b.getI32Type(), 0.0, {o});
  }
  auto quant = tosa::ConvOpQuantizationAttr::get(b.getContext(), *xzp, weightZp);
  Value y = op.create<tosa::Conv2DOp>(
      tensorOf({n, (*window)[0].out, (*window)[1].out, o}, b.getI32Type()), x, weight, bias,
      b.getDenseI64ArrayAttr({h.padBegin, h.padEnd, w.padBegin, w.padEnd}),
      b.getDenseI64ArrayAttr({(*window)[0].stride, (*window)[1].stride}),
      b.getDenseI64ArrayAttr({(*window)[0].dilation, (*window)[1].dilation}), quant, BoolAttr());
  return y;
}

// The int32 product of inputs 0 and `bi` with zero points azpi/bzpi
// (numpy MatMul shapes: 2-D or more, batches equal or B's absent).
llvm::Expected<Value> integerMatMul(OpContext &op, int bi, int azpi, int bzpi) {
  llvm::ArrayRef<int64_t> as = op.shape(0), bs = op.shape(bi);
  if (as.size() < 2 || bs.size() < 2)
    return op.fail("quantized products of 1-D operands are not supported");
  if (!isByte(op.elementType(0)) || !isByte(op.elementType(bi)))
    return op.fail("a and b must be int8 or uint8");
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return op.fail("shapes " + shapeString(as) + " and " + shapeString(bs) + " do not multiply");
  llvm::ArrayRef<int64_t> batchA = as.drop_back(2), batchB = bs.drop_back(2);
  int64_t nb = numElements(batchB);
  if (nb != 1 && batchA != batchB)
    return op.fail("the batch dimensions of " + shapeString(as) + " and " + shapeString(bs) +
                   " differ; broadcast batches are not supported");
  auto azp = uniformZeroPoint(op, azpi, "a_zero_point");
  if (!azp)
    return azp.takeError();
  auto bzp = uniformZeroPoint(op, bzpi, "b_zero_point");
  if (!bzp)
    return bzp.takeError();
  auto &b = op.builder();
  int64_t na = numElements(batchA);
  // One right-hand matrix for every batch: fold the batch into M.
  Value a = nb == 1 ? reshape(b, op.loc(), op.value(0), {1, na * m, k})
                    : reshape(b, op.loc(), op.value(0), {na, m, k});
  Value bv = reshape(b, op.loc(), op.value(bi), {nb, k, n});
  auto quant = tosa::MatMulOpQuantizationAttr::get(b.getContext(), *azp, *bzp);
  Value y = op.create<tosa::MatMulOp>(
      tensorOf({typeOf(a).getDimSize(0), typeOf(a).getDimSize(1), n}, b.getI32Type()), a, bv,
      quant);
  llvm::SmallVector<int64_t> shape(batchA.begin(), batchA.end());
  shape.append({m, n});
  return reshape(b, op.loc(), y, shape);
}

// The requantization multiplier a_scale * b_scale / y_scale, shaped for
// `rank` dimensions with b_scale's channels (if more than one) on `axis`.
// Computed in float32 as ONNX Runtime does, on the host when known.
llvm::Expected<Value> multiplier(OpContext &op, int asi, int bsi, int ysi, int64_t rank,
                                 int64_t axis, int64_t channels) {
  auto &b = op.builder();
  for (int i : {asi, ysi})
    if (numElements(op.shape(i)) != 1)
      return op.fail(op.inputName(i) + " must be a scalar");
  auto bScale = perAxis(op, bsi, rank, axis, channels, "the weight scale");
  if (!bScale)
    return bScale.takeError();
  llvm::SmallVector<int64_t> ones(rank, 1);
  const Literal *as = op.literal(asi), *bs = op.literal(bsi), *ys = op.literal(ysi);
  if (as && bs && ys) {
    std::vector<double> m;
    for (int64_t c = 0; c < bs->size(); ++c)
      m.push_back(static_cast<float>(static_cast<float>(as->doubleAt(0)) *
                                     static_cast<float>(bs->doubleAt(c))) /
                  static_cast<float>(ys->doubleAt(0)));
    std::vector<int64_t> shape(typeOf(*bScale).getShape().begin(),
                               typeOf(*bScale).getShape().end());
    return op.constant(Literal::fromDoubles(kFloat, shape, m), op.name().str() + "_multiplier");
  }
  Value product =
      mul(b, op.loc(), asF32(op, reshape(b, op.loc(), op.value(asi), ones)), asF32(op, *bScale));
  return custom(op, "kiln.divide", "",
                {product, asF32(op, reshape(b, op.loc(), op.value(ysi), ones))}, typeOf(product));
}

// saturate(round_half_even(acc * multiplier) + y_zero_point): the int32
// accumulator `acc` requantized, b_scale (input bsi) per tensor or per
// output channel (dimension `channelAxis` of acc). Plain TOSA elementwise
// ops (tosa.cast rounds half to even), so they join the product's kernel.
llvm::Expected<Value> requantize(OpContext &op, Value acc, int asi, int bsi, int ysi, int yzpi,
                                 int64_t channelAxis) {
  auto &b = op.builder();
  llvm::ArrayRef<int64_t> shape = typeOf(acc).getShape();
  auto m = multiplier(op, asi, bsi, ysi, shape.size(), channelAxis, shape[channelAxis]);
  if (!m)
    return m.takeError();
  Type out = op.hasInput(yzpi) ? op.elementType(yzpi) : elementTypeFor(b, kUInt8);
  if (!isByte(out))
    return op.fail("y_zero_point must be int8 or uint8");
  auto zp = uniformZeroPoint(op, yzpi, "y_zero_point");
  if (!zp)
    return zp.takeError();
  Value y = mul(b, op.loc(), asF32(op, acc), *m);
  y = castElements(b, op.loc(), y, b.getI32Type());
  if (*zp)
    y = binary<tosa::AddOp>(b, op.loc(), y, scalarLike(b, op.loc(), y, *zp));
  bool isSigned = out.isSignlessInteger(8);
  y = clamp(b, op.loc(), y, isSigned ? -128 : 0, isSigned ? 127 : 255);
  return castElements(b, op.loc(), y, out);
}

// Where a product's inputs are: b (weights), the zero points of a and b,
// the bias; for QLinear* also the scales of a, b and y and y's zero point.
// -1: the op has no such input.
struct ProductInputs {
  int b, aZp, bZp, bias, aScale = -1, bScale = -1, yScale = -1, yZp = -1;
};

// ConvInteger, MatMulInteger (int32 out) and QLinearConv, QLinearMatMul
// (requantized). The channel axis is the last in both: NHWC for the conv.
llvm::Error convertProduct(OpContext &op, bool conv, const ProductInputs &in) {
  auto acc = conv ? integerConv(op, in.b, in.aZp, in.bZp, in.bias)
                  : integerMatMul(op, in.b, in.aZp, in.bZp);
  if (!acc)
    return acc.takeError();
  Value y = *acc;
  if (in.yScale >= 0) {
    auto q = requantize(op, y, in.aScale, in.bScale, in.yScale, in.yZp, typeOf(y).getRank() - 1);
    if (!q)
      return q.takeError();
    y = *q;
  }
  op.setValue(0, conv ? toNCHW(op.builder(), op.loc(), y) : y);
  return llvm::Error::success();
}

} // namespace

void registerQuantizedOps(OpTable &table) {
  table.add("QuantizeLinear", convertQuantizeLinear);
  table.add("DequantizeLinear", convertDequantizeLinear);
  table.add("DynamicQuantizeLinear", convertDynamicQuantizeLinear);
  // Inputs: x, w, x_zero_point, w_zero_point (ConvInteger; MatMulInteger
  // likewise with a, b); x, x_scale, x_zero_point, w, w_scale, w_zero_point,
  // y_scale, y_zero_point, B (QLinearConv; QLinearMatMul the same but B).
  table.add("ConvInteger", [](OpContext &op) { return convertProduct(op, true, {1, 2, 3, -1}); });
  table.add("MatMulInteger", [](OpContext &op) {
    return convertProduct(op, false, {1, 2, 3, -1});
  });
  table.add("QLinearConv", [](OpContext &op) {
    return convertProduct(op, true, {3, 2, 5, 8, 1, 4, 6, 7});
  });
  table.add("QLinearMatMul", [](OpContext &op) {
    return convertProduct(op, false, {3, 2, 5, -1, 1, 4, 6, 7});
  });
}

} // namespace kiln::onnx_import
