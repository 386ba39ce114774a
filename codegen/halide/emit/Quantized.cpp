//===- Quantized.cpp - integer conv2d/matmul and Kiln's quantize ops ------===//
//
// TOSA's quantized conv2d and matmul (int8/uint8 operands, zero points in
// quantization_info, int32 result) as integer reductions: each product is
// (x - x_zp) * (w - w_zp) with both factors in int16 and the product
// widened to int32. A widening multiply alone is not a dot product: Halide
// emits pmaddwd / vpdpwssd / i32x4.dot_i16x8_s only for a sum of adjacent
// lanes (a VectorReduce), so a tiled conv sums its products in pairs of
// input channels reduced inside one vector (emitIntegerConv). The
// zero points stay in the factors (no hoisted correction terms): the dot
// products take int16 factors, which hold any 8-bit value minus its zero
// point. The float emitters of
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
#include "codegen/schedule/Schedule.h"

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

// The vector width at which the conv's products go in pairs of input
// channels, or 0 for one product per step. Pairs need an even channel count
// and a template record whose register tile the kernel's template builds
// (ApplySchedule.cpp tileReduction; its generic fallback keeps every bound
// below constant too): the pair Func is computed inside the accumulator
// tile, which must have a constant size there.
int pairedWidth(EmitContext &ctx, int ic, const std::vector<int64_t> &shape) {
  auto record = getSchedule(ctx.getKernel());
  if (!record) {
    llvm::consumeError(record.takeError());
    return 0;
  }
  if (ic % 2 != 0 || !*record || shape.size() != 4)
    return 0;
  const ScheduleRecord &r = **record;
  int vw = r.vectorWidth;
  bool tiled = r.pattern == KernelPattern::Conv || r.pattern == KernelPattern::Conv1x1;
  // An unrolled reduction splits the input-channel loop the pairs are
  // computed at: only an unroll that does not divide it leaves it whole.
  bool wholeLoop = r.unroll <= 1 || (ic / 2) % r.unroll != 0;
  if (r.mode != ScheduleMode::Template || !tiled || vw < 2 || shape[3] % vw != 0 ||
      r.channelTile % vw != 0 || r.channelTile > shape[3] || r.pixelTile > shape[2] || !wholeLoop)
    return 0;
  return vw;
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
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  Halide::Func f = ctx.newFunc("conv2d_int");
  std::vector<Halide::Var> v = tensorVars(4); // n, y, x, c
  defineFunc(f, v, Halide::cast<int32_t>(bias.at({bias.shape[0] == 1 ? Expr(0) : Expr(v[3])})));
  auto product = [&](const Expr &ky, const Expr &kx, const Expr &c, const Expr &w) {
    Expr iy = v[1] * int(stride[0]) + ky * int(dil[0]) - int(pad[0]);
    Expr ix = v[2] * int(stride[1]) + kx * int(dil[1]) - int(pad[2]);
    return centered(src.at({v[0], iy, ix, c}), xzp) * centered(w, wzp);
  };
  int vw = pairedWidth(ctx, ic, shape);
  Halide::RDom r(0, vw ? ic / 2 : ic, 0, kw, 0, kh);
  if (!vw) {
    updateFuncAdd(f, v, product(r.z, r.y, r.x, weight.at({v[3], r.z, r.y, r.x})));
  } else {
    // Products summed in pairs of input channels, the pair reduced inside
    // one vector: Halide's atomic vectorization makes it a VectorReduce of
    // a widening multiply, which its backends emit as i32x4.dot_i16x8_s
    // (SIMD128) or pmaddwd (x86); where both factors fit 8 bits, as
    // i16x8.mul + i32x4.extadd_pairwise. The pairs are computed per input
    // channel pair inside the accumulator tile (at r.x) and added to it.
    // Each weight vector interleaves two dense rows of the packed
    // [KH, KW, IC, OC] weights (a select on the pair index, which Halide
    // lowers to two vector loads and a shuffle; indexing channel 2k + j
    // instead gathered bytes one by one).
    Halide::Var k("k"), kx("kx"), ky("ky");
    Halide::RDom j(0, 2);
    Halide::Func pairs = ctx.newFunc("conv2d_int_pairs");
    std::vector<Halide::Var> pv = {ky, kx, k, v[0], v[1], v[2], v[3]};
    defineFunc(pairs, pv, Expr(0));
    Expr w = Halide::select(j.x == 0, weight.at({v[3], ky, kx, 2 * k}),
                            weight.at({v[3], ky, kx, 2 * k + 1}));
    updateFuncAdd(pairs, pv, product(ky, kx, 2 * k + j.x, w));
    updateFuncAdd(f, v, pairs(v[3], v[2], v[1], v[0], r.x, r.y, r.z));
    Halide::Var co("pair_co"), cv("pair_cv");
    pairs.compute_at(f, r.x).store_in(Halide::MemoryType::Stack);
    pairs.split(v[3], co, cv, vw).vectorize(cv).unroll(co).unroll(v[2]);
    pairs.update()
        .split(v[3], co, cv, vw)
        .reorder(j.x, cv, co, v[2])
        .atomic()
        .vectorize(j.x)
        .vectorize(cv)
        .unroll(co)
        .unroll(v[2]);
  }
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
  for (llvm::StringRef name : {"tosa.custom:kiln.quantize", "tosa.custom:kiln.divide"})
    table[name] = [](Operation *op, EmitContext &ctx) -> llvm::Error {
      return emitCustom(cast<tosa::CustomOp>(op), ctx);
    };
}

} // namespace kiln::codegen
