//===- Quantized.cpp - integer conv2d/matmul and Kiln's quantize ops ------===//
//
// TOSA's quantized conv2d and matmul (int8/uint8 operands, zero points in
// quantization_info, int32 result) as integer reductions: each product is
// (x - x_zp) * (w - w_zp) with both factors in int16 and the product
// widened to int32. A widening multiply alone is not a dot product: Halide
// emits pmaddwd / vpdpwssd / i32x4.dot_i16x8_s only for a sum of adjacent
// lanes (a VectorReduce), so a tiled conv sums its products in pairs of
// input channels reduced inside one vector (emitIntegerConv): on AVX-512
// quads of uint8 x int8 (vpdpbusd, 4 products per lane) with the input's
// zero point hoisted out as per-channel weight sums, elsewhere pairs of
// int16 factors, which hold any 8-bit value minus its zero point (no
// hoisted terms). The float emitters of
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

// How a tiled conv groups its products: `group` input channels summed
// inside one vector of `width` output-channel lanes (width 0: one product
// per step). Groups need a template record whose register tile the
// kernel's template builds (ApplySchedule.cpp tileReduction; its generic
// fallback keeps every bound below constant too): the group Func is
// computed inside the accumulator tile, which must have a constant size.
struct Grouping {
  int width = 0;
  int group = 1;
};

// Quads (4 products per int32 lane, u8 x s8: vpdpbusd on AVX-512 VNNI,
// Halide's avx512_sapphirerapids) where the record has 16 lanes (x86
// AVX-512; WASM and AVX2 records have 8 and keep the pairs) and the weights
// are centred on zero once shifted to int8 (int8 with zero point 0, or
// uint8 with 128), so that no per-pixel input-sum correction is needed; an
// AVX-512 target without VNNI gets Halide's generic lowering of the same
// reduction (exact, slower). Otherwise pairs of int16 factors where the
// channel count is even.
Grouping grouping(EmitContext &ctx, int ic, const std::vector<int64_t> &shape,
                  bool weightsCentred) {
  auto record = getSchedule(ctx.getKernel());
  if (!record) {
    llvm::consumeError(record.takeError());
    return {};
  }
  if (!*record || shape.size() != 4)
    return {};
  const ScheduleRecord &r = **record;
  int vw = r.vectorWidth;
  int group = vw == 16 && weightsCentred ? 4 : 2;
  if (group == 2 && ic % 2 != 0)
    return {};
  bool tiled = r.pattern == KernelPattern::Conv || r.pattern == KernelPattern::Conv1x1;
  // An unrolled reduction splits the input-channel loop the groups are
  // computed at: only an unroll that does not divide it leaves it whole.
  int groups = (ic + group - 1) / group;
  bool wholeLoop = r.unroll <= 1 || groups % r.unroll != 0;
  if (r.mode != ScheduleMode::Template || !tiled || vw < 2 || shape[3] % vw != 0 ||
      r.channelTile % vw != 0 || r.channelTile > shape[3] || r.pixelTile > shape[2] || !wholeLoop)
    return {};
  return {vw, group};
}

// Schedules a group Func (pure: zero; update: the products of one group of
// input channels, `j` the channel within the group) inside the
// accumulator tile of `f`, at its reduction's input-channel step `rx`.
void scheduleGroups(Halide::Func groups, Halide::Func f, const Halide::RVar &rx,
                    const Halide::RVar &j, const Halide::Var &c, const Halide::Var &x, int vw) {
  Halide::Var co("group_co"), cv("group_cv");
  groups.compute_at(f, rx).store_in(Halide::MemoryType::Stack);
  groups.split(c, co, cv, vw).vectorize(cv).unroll(co).unroll(x);
  groups.update()
      .split(c, co, cv, vw)
      .reorder(j, cv, co, x)
      .atomic()
      .vectorize(j)
      .vectorize(cv)
      .unroll(co)
      .unroll(x);
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
  Expr biasAt = Halide::cast<int32_t>(bias.at({bias.shape[0] == 1 ? Expr(0) : Expr(v[3])}));
  auto inputAt = [&](const HTensor &t, const Expr &ky, const Expr &kx, const Expr &c) {
    Expr iy = v[1] * int(stride[0]) + ky * int(dil[0]) - int(pad[0]);
    Expr ix = v[2] * int(stride[1]) + kx * int(dil[1]) - int(pad[2]);
    return t.at({v[0], iy, ix, c});
  };
  auto product = [&](const Expr &ky, const Expr &kx, const Expr &c, const Expr &w) {
    return centered(inputAt(src, ky, kx, c), xzp) * centered(w, wzp);
  };
  // The quads' factors: the input as uint8 and the weights as int8, each
  // shifted by 128 where its type is the other signedness (x_zp and w_zp
  // shift with it), so that (x - x_zp)(w - w_zp) keeps its value.
  bool xSigned = in.type.is_int(), wSigned = weight.type.is_int();
  int64_t xzpU8 = xSigned ? xzp + 128 : xzp, wzpS8 = wSigned ? wzp : wzp - 128;
  Grouping g = grouping(ctx, ic, shape, wzpS8 == 0);
  int groups = g.width ? (ic + g.group - 1) / g.group : ic;
  Halide::RDom r(0, groups, 0, kw, 0, kh);
  // Quads reduce over (j, k, kx, ky), j the channel within the quad, in
  // the conv's own update: the template (tileReduction) places the RVars
  // of the stage's RDom `r`, which names k, kx and ky only (the same
  // variables, a domain without j), so j keeps the innermost loop, where it
  // is atomic-vectorized with the template's channel vector.
  Halide::RDom quadDom;
  if (g.group == 4) {
    quadDom = Halide::RDom(0, 4, 0, groups, 0, kw, 0, kh);
    const auto &d = quadDom.domain().domain();
    r = Halide::RDom(Halide::Internal::ReductionDomain({d[1], d[2], d[3]}));
  }
  // f += the sum of each group's products, product(ky, kx, k, j) being
  // the one of channel j of group k, computed in a group Func inside the
  // accumulator tile (scheduleGroups).
  auto addGroups = [&](const char *stem, const auto &productOf) {
    Halide::Var k("k"), kx("kx"), ky("ky");
    Halide::RDom j(0, g.group);
    Halide::Func groupSums = ctx.newFunc(stem);
    std::vector<Halide::Var> gv = {ky, kx, k, v[0], v[1], v[2], v[3]};
    defineFunc(groupSums, gv, Expr(0));
    updateFuncAdd(groupSums, gv, productOf(ky, kx, k, j.x));
    updateFuncAdd(f, v, groupSums(v[3], v[2], v[1], v[0], r.x, r.y, r.z));
    scheduleGroups(groupSums, f, r.x, j.x, v[3], v[2], g.width);
  };
  if (!g.width) {
    defineFunc(f, v, biasAt);
    updateFuncAdd(f, v, product(r.z, r.y, r.x, weight.at({v[3], r.z, r.y, r.x})));
  } else if (g.group == 2) {
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
    defineFunc(f, v, biasAt);
    addGroups("conv2d_int_pairs",
              [&](const Expr &ky, const Expr &kx, const Expr &k, const Expr &j) {
                Expr w = Halide::select(j == 0, weight.at({v[3], ky, kx, 2 * k}),
                                        weight.at({v[3], ky, kx, 2 * k + 1}));
                return product(ky, kx, 2 * k + j, w);
              });
  } else {
    // Quads: sum over the window of x * w in uint8 x int8, four input
    // channels per int32 lane (Halide's VectorReduce of a u8 x i8 widening
    // multiply by 4, added to the accumulator: one vpdpbusd per 64
    // products, no temporary), with the zero points out of the products:
    // sum (x - x_zp) w = sum x w - x_zp sum w (w_zp is 0 here, grouping).
    // The weight sums fold into the bias once per call (OC x KH x KW x IC
    // adds, the conv's work over its pixel count). A channel count that is
    // not a multiple of 4 pads the last quad: weights 0 (as int8), the
    // input's zero point.
    auto toU8 = [&](const Expr &x) {
      return xSigned ? Halide::cast<uint8_t>(x) ^ Halide::cast<uint8_t>(128) : x;
    };
    auto toS8 = [&](const Expr &w) {
      return wSigned ? w : Halide::cast<int8_t>(w ^ Halide::cast<uint8_t>(128));
    };
    bool padChannels = ic % 4 != 0;
    HTensor x = padChannels ? ctx.withConstantExterior(src, {false, false, false, true},
                                                       Halide::cast(in.type, static_cast<int>(xzp)))
                            : src;
    HTensor wp = padChannels
                     ? ctx.withConstantExterior(weight, {false, false, false, true},
                                                Halide::cast(weight.type, wSigned ? 0 : 128))
                     : weight;
    if (xzpU8 != 0) {
      Halide::Func sums = ctx.newFunc("conv2d_int_wsum");
      Halide::RDom s(0, ic, 0, kw, 0, kh);
      sums(v[3]) = 0;
      sums(v[3]) += Halide::cast<int32_t>(toS8(weight.at({v[3], s.z, s.y, s.x})));
      sums.compute_root().vectorize(v[3], g.width);
      sums.update().reorder(v[3], s.x, s.y, s.z).vectorize(v[3], g.width);
      biasAt = biasAt - int(xzpU8) * sums(v[3]);
    }
    defineFunc(f, v, biasAt);
    // The weights of a quad step, four dense rows of the packed weights
    // interleaved (jv innermost: see the pairs), once per step for the
    // whole accumulator tile.
    Halide::Var jv("jv"), wco("wq_co"), wcv("wq_cv"), k("k"), kx("kx"), ky("ky");
    Halide::Func wq = ctx.newFunc("conv2d_int_wquads");
    Expr w = wp.at({v[3], ky, kx, 4 * k + 3});
    for (int i = 2; i >= 0; --i)
      w = Halide::select(jv == i, wp.at({v[3], ky, kx, 4 * k + i}), w);
    wq(jv, v[3], k, kx, ky) = toS8(w);
    Halide::RVar j = quadDom.x, rk = quadDom.y, rkx = quadDom.z, rky = quadDom.w;
    wq.compute_at(f, rk).store_in(Halide::MemoryType::Stack).bound(jv, 0, 4);
    wq.split(v[3], wco, wcv, g.width)
        .reorder(jv, wcv, wco)
        .vectorize(jv)
        .vectorize(wcv)
        .unroll(wco);
    Expr xq = Halide::cast<int16_t>(toU8(inputAt(x, rky, rkx, 4 * rk + j)));
    updateFuncAdd(f, v,
                  Halide::cast<int32_t>(xq * Halide::cast<int16_t>(wq(j, v[3], rk, rkx, rky))));
    f.update().atomic().vectorize(j);
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
