//===- Conv.cpp - conv2d, depthwise_conv2d, transpose_conv2d --------------===//
//
// Each convolution is a Func initialised with the bias and updated with the
// products over a reduction domain (input channels innermost, then the
// window), so that schedule templates can tile it and keep accumulators in
// registers. Zero padding is a constant-exterior boundary condition on the
// input (cheaper than a select in the producer: docs/TRAPS.md H4).
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

bool anyNonZero(ArrayRef<int64_t> values) {
  return llvm::any_of(values, [](int64_t v) { return v != 0; });
}

// The bias at output channel c; a one-element bias broadcasts.
Expr biasAt(const HTensor &bias, const Expr &c) {
  return bias.at({bias.shape[0] == 1 ? Expr(0) : c});
}

llvm::Expected<Halide::Type> resultType(Operation *op) {
  auto type = halideType(cast<ShapedType>(op->getResult(0).getType()).getElementType());
  if (!type)
    return opError(op, llvm::toString(type.takeError()));
  if (!type->is_float())
    return opError(op, "only floating-point convolutions are supported");
  return *type;
}

llvm::Error emitConv2D(Operation *op, EmitContext &ctx) {
  auto conv = cast<tosa::Conv2DOp>(op);
  if (conv.getQuantizationInfo())
    return opError(op, "quantized convolutions are not supported");
  auto outType = resultType(op);
  if (!outType)
    return outType.takeError();
  const HTensor &in = ctx.lookup(conv.getInput());
  const HTensor &weight = ctx.lookup(conv.getWeight());
  const HTensor &bias = ctx.lookup(conv.getBias());
  ArrayRef<int64_t> pad = conv.getPad(), stride = conv.getStride(), dil = conv.getDilation();
  // Weights are [OC, KH, KW, IC].
  int kh = weight.shape[1], kw = weight.shape[2], ic = weight.shape[3];
  HTensor src =
      anyNonZero(pad) ? ctx.withConstantExterior(in, {false, true, true, false}, Expr(0)) : in;

  Halide::Func f = ctx.newFunc("conv2d");
  std::vector<Halide::Var> v = tensorVars(4); // n, y, x, c
  Halide::RDom r(0, ic, 0, kw, 0, kh);
  defineFunc(f, v, Halide::cast(*outType, biasAt(bias, v[3])));
  Expr iy = v[1] * int(stride[0]) + r.z * int(dil[0]) - int(pad[0]);
  Expr ix = v[2] * int(stride[1]) + r.y * int(dil[1]) - int(pad[2]);
  updateFuncAdd(f, v,
                Halide::cast(*outType, src.at({v[0], iy, ix, r.x})) *
                    Halide::cast(*outType, weight.at({v[3], r.z, r.y, r.x})));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  ctx.bind(op->getResult(0), HTensor{f, shape, *outType});
  ctx.addStage(Stage{Stage::Conv, f, r, shape, in.func});
  return llvm::Error::success();
}

llvm::Error emitDepthwise(Operation *op, EmitContext &ctx) {
  auto conv = cast<tosa::DepthwiseConv2DOp>(op);
  if (conv.getQuantizationInfo())
    return opError(op, "quantized convolutions are not supported");
  auto outType = resultType(op);
  if (!outType)
    return outType.takeError();
  const HTensor &in = ctx.lookup(conv.getInput());
  const HTensor &weight = ctx.lookup(conv.getWeight());
  const HTensor &bias = ctx.lookup(conv.getBias());
  ArrayRef<int64_t> pad = conv.getPad(), stride = conv.getStride(), dil = conv.getDilation();
  // Weights are [KH, KW, C, M]; output channel c * M + m reads input channel c.
  int kh = weight.shape[0], kw = weight.shape[1], m = weight.shape[3];
  HTensor src =
      anyNonZero(pad) ? ctx.withConstantExterior(in, {false, true, true, false}, Expr(0)) : in;

  Halide::Func f = ctx.newFunc("depthwise");
  std::vector<Halide::Var> v = tensorVars(4);
  Halide::RDom r(0, kw, 0, kh);
  defineFunc(f, v, Halide::cast(*outType, biasAt(bias, v[3])));
  Expr c = m == 1 ? Expr(v[3]) : v[3] / m;
  Expr mi = m == 1 ? Expr(0) : v[3] % m;
  Expr iy = v[1] * int(stride[0]) + r.y * int(dil[0]) - int(pad[0]);
  Expr ix = v[2] * int(stride[1]) + r.x * int(dil[1]) - int(pad[2]);
  updateFuncAdd(f, v,
                Halide::cast(*outType, src.at({v[0], iy, ix, c})) *
                    Halide::cast(*outType, weight.at({r.y, r.x, c, mi})));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  ctx.bind(op->getResult(0), HTensor{f, shape, *outType});
  ctx.addStage(Stage{Stage::Depthwise, f, r, shape, in.func});
  return llvm::Error::success();
}

// TOSA transpose_conv2d scatters input pixel (iy, ix) to output rows
// iy * stride + out_pad_top + ky. Written as a gather: an output pixel sums
// the taps whose input position is integral and in range.
llvm::Error emitTransposeConv(Operation *op, EmitContext &ctx) {
  auto conv = cast<tosa::TransposeConv2DOp>(op);
  if (conv.getQuantizationInfo())
    return opError(op, "quantized convolutions are not supported");
  auto outType = resultType(op);
  if (!outType)
    return outType.takeError();
  const HTensor &in = ctx.lookup(conv.getInput());
  const HTensor &weight = ctx.lookup(conv.getFilter());
  const HTensor &bias = ctx.lookup(conv.getBias());
  ArrayRef<int64_t> outPad = conv.getOutPad(), stride = conv.getStride();
  // Filter is [OC, KH, KW, IC].
  int kh = weight.shape[1], kw = weight.shape[2], ic = weight.shape[3];
  int ih = in.shape[1], iw = in.shape[2];
  int sy = stride[0], sx = stride[1];

  Halide::Func f = ctx.newFunc("transpose_conv2d");
  std::vector<Halide::Var> v = tensorVars(4);
  Halide::RDom r(0, ic, 0, kw, 0, kh);
  defineFunc(f, v, Halide::cast(*outType, biasAt(bias, v[3])));
  Expr ty = v[1] - int(outPad[0]) - r.z, tx = v[2] - int(outPad[2]) - r.y;
  // Halide's division rounds down, so ty / sy is exact whenever ty % sy == 0.
  Expr iy = ty / sy, ix = tx / sx;
  Expr valid = ty % sy == 0 && tx % sx == 0 && iy >= 0 && iy < ih && ix >= 0 && ix < iw;
  Expr value = in.at({v[0], Halide::clamp(iy, 0, ih - 1), Halide::clamp(ix, 0, iw - 1), r.x});
  updateFuncAdd(f, v,
                Halide::select(valid,
                               Halide::cast(*outType, value) *
                                   Halide::cast(*outType, weight.at({v[3], r.z, r.y, r.x})),
                               Halide::cast(*outType, 0)));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  ctx.bind(op->getResult(0), HTensor{f, shape, *outType});
  ctx.addStage(Stage{Stage::TransposeConv, f, r, shape});
  return llvm::Error::success();
}

} // namespace

void registerConvEmitters(EmitterTable &table) {
  table["tosa.conv2d"] = emitConv2D;
  table["tosa.depthwise_conv2d"] = emitDepthwise;
  table["tosa.transpose_conv2d"] = emitTransposeConv;
}

} // namespace kiln::codegen
