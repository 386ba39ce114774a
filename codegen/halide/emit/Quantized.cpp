//===- Quantized.cpp - integer conv2d/matmul and Kiln's quantize ops ------===//
//
// TOSA's quantized conv2d and matmul (int8/uint8 operands, zero points in
// quantization_info, int32 result) as integer reductions: each product is
// (x - x_zp) * (w - w_zp) with both factors in int16 and the product
// widened to int32, the pattern Halide turns into widening multiply-adds
// (pmaddwd, VNNI, SIMD128 dot products). The float emitters of
// emit/Conv.cpp and emit/MatMul.cpp keep the unquantized ops: these wrap
// them and take the quantized ones.
//
// tosa.custom "kiln.quantize" and "kiln.divide" (made by the ONNX
// importer's ops/Quantized.cpp) are elementwise with TOSA broadcasting. They
// are evaluated in strict float: Halide compiles with fast-math flags, under
// which LLVM may turn x / s into x * (1 / s), an ulp off, and ONNX's
// QuantizeLinear must be bit-exact at round-half-to-even ties.
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

// v - zp in int16, widened to int32: exact for 8-bit v and zp.
Expr centered(const Expr &v, int64_t zp) {
  Expr c = Halide::cast<int16_t>(v);
  if (zp != 0)
    c = c - Halide::cast<int16_t>(static_cast<int>(zp));
  return Halide::cast<int32_t>(c);
}

llvm::Error checkInt32Result(Operation *op) {
  auto type = halideType(cast<ShapedType>(op->getResult(0).getType()).getElementType());
  if (!type)
    return opError(op, llvm::toString(type.takeError()));
  if (*type != Halide::Int(32))
    return opError(op, "quantized products must have an int32 result");
  return llvm::Error::success();
}

llvm::Error emitIntegerConv(tosa::Conv2DOp conv, EmitContext &ctx) {
  Operation *op = conv;
  if (llvm::Error err = checkInt32Result(op))
    return err;
  auto quant = conv.getQuantizationInfoAttr();
  int64_t xzp = quant.getInputZp(), wzp = quant.getWeightZp();
  const HTensor &in = ctx.lookup(conv.getInput());
  const HTensor &weight = ctx.lookup(conv.getWeight());
  const HTensor &bias = ctx.lookup(conv.getBias());
  ArrayRef<int64_t> pad = conv.getPad(), stride = conv.getStride(), dil = conv.getDilation();
  // Weights are [OC, KH, KW, IC]. Padding holds the input's zero point, so
  // that a padded tap adds (x_zp - x_zp) * w = 0, as ONNX pads x.
  int kh = weight.shape[1], kw = weight.shape[2], ic = weight.shape[3];
  bool padded = llvm::any_of(pad, [](int64_t p) { return p != 0; });
  HTensor src = padded ? ctx.withConstantExterior(in, {false, true, true, false},
                                                  Halide::cast(in.type, static_cast<int>(xzp)))
                       : in;
  Halide::Func f = ctx.newFunc("conv2d_int");
  std::vector<Halide::Var> v = tensorVars(4); // n, y, x, c
  Halide::RDom r(0, ic, 0, kw, 0, kh);
  defineFunc(f, v, Halide::cast<int32_t>(bias.at({bias.shape[0] == 1 ? Expr(0) : Expr(v[3])})));
  Expr iy = v[1] * int(stride[0]) + r.z * int(dil[0]) - int(pad[0]);
  Expr ix = v[2] * int(stride[1]) + r.y * int(dil[1]) - int(pad[2]);
  updateFuncAdd(f, v,
                centered(src.at({v[0], iy, ix, r.x}), xzp) *
                    centered(weight.at({v[3], r.z, r.y, r.x}), wzp));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  ctx.bind(op->getResult(0), HTensor{f, shape, Halide::Int(32)});
  ctx.addStage(Stage{Stage::Conv, f, r, shape, in.func});
  return llvm::Error::success();
}

// a [N, H, C], b [N, C, W] -> [N, H, W]; a batch of one broadcasts.
llvm::Error emitIntegerMatMul(tosa::MatMulOp mm, EmitContext &ctx) {
  Operation *op = mm;
  if (llvm::Error err = checkInt32Result(op))
    return err;
  auto quant = mm.getQuantizationInfoAttr();
  const HTensor &a = ctx.lookup(mm.getA());
  const HTensor &b = ctx.lookup(mm.getB());
  Halide::Func f = ctx.newFunc("matmul_int");
  std::vector<Halide::Var> v = tensorVars(3);
  Halide::RDom r(0, static_cast<int>(a.shape[2]));
  Expr na = a.shape[0] == 1 ? Expr(0) : Expr(v[0]);
  Expr nb = b.shape[0] == 1 ? Expr(0) : Expr(v[0]);
  defineFunc(f, v, Expr(0));
  updateFuncAdd(f, v,
                centered(a.at({na, v[1], r}), quant.getAZp()) *
                    centered(b.at({nb, r, v[2]}), quant.getBZp()));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  ctx.bind(op->getResult(0), HTensor{f, shape, Halide::Int(32)});
  ctx.addStage(Stage{Stage::MatMul, f, r, shape});
  return llvm::Error::success();
}

// kiln.quantize (x, scale, zero point) -> saturate(round_half_even(x / scale
// or x * scale) + zero point); kiln.divide (a, b) -> a / b.
llvm::Error emitCustom(tosa::CustomOp custom, EmitContext &ctx) {
  Operation *op = custom;
  llvm::StringRef name = custom.getOperatorName();
  bool quantize = name == "kiln.quantize", divide = name == "kiln.divide";
  if (!quantize && !divide)
    return opError(op, "unknown custom operator '" + name + "'");
  if (op->getNumOperands() != (quantize ? 3u : 2u) || op->getNumResults() != 1)
    return opError(op, "'" + name + "' has the wrong number of operands");
  auto outType = halideType(cast<ShapedType>(op->getResult(0).getType()).getElementType());
  if (!outType)
    return opError(op, llvm::toString(outType.takeError()));
  std::vector<HTensor> in;
  for (Value v : op->getOperands()) {
    in.push_back(ctx.lookup(v));
    if (in.size() < 3 && in.back().type != Halide::Float(32))
      return opError(op, "'" + name + "' takes float32 operands");
  }
  bool multiply = custom.getImplementationAttrs() == "multiply";
  if (quantize &&
      (!outType->is_int_or_uint() || outType->bits() > 16 || !in[2].type.is_int_or_uint()))
    return opError(op, "kiln.quantize makes 8- or 16-bit integers from an integer zero point");
  if (divide && *outType != Halide::Float(32))
    return opError(op, "kiln.divide makes float32");
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  return ctx.definePure(op->getResult(0), quantize ? "quantize" : "divide",
                        [&](const std::vector<Expr> &i) -> Expr {
                          Expr a = ctx.broadcastAt(in[0], shape, i);
                          Expr b = ctx.broadcastAt(in[1], shape, i);
                          if (divide)
                            return Halide::strict_float(a / b);
                          Expr q = Halide::round(multiply ? a * b : a / b);
                          q = q + Halide::cast<float>(ctx.broadcastAt(in[2], shape, i));
                          q = Halide::clamp(q, Halide::cast<float>(outType->min()),
                                            Halide::cast<float>(outType->max()));
                          return Halide::cast(*outType, Halide::strict_float(q));
                        });
}

} // namespace

void registerQuantizedEmitters(EmitterTable &table) {
  // Wraps the float emitters already registered (emit/Conv.cpp, MatMul.cpp).
  OpEmitter floatConv = table.lookup("tosa.conv2d");
  OpEmitter floatMatMul = table.lookup("tosa.matmul");
  table["tosa.conv2d"] = [floatConv](Operation *op, EmitContext &ctx) -> llvm::Error {
    auto conv = cast<tosa::Conv2DOp>(op);
    if (conv.getQuantizationInfoAttr())
      return emitIntegerConv(conv, ctx);
    return floatConv(op, ctx);
  };
  table["tosa.matmul"] = [floatMatMul](Operation *op, EmitContext &ctx) -> llvm::Error {
    auto mm = cast<tosa::MatMulOp>(op);
    if (mm.getQuantizationInfoAttr())
      return emitIntegerMatMul(mm, ctx);
    return floatMatMul(op, ctx);
  };
  table["tosa.custom"] = [](Operation *op, EmitContext &ctx) -> llvm::Error {
    return emitCustom(cast<tosa::CustomOp>(op), ctx);
  };
}

} // namespace kiln::codegen
