//===- Elementwise.cpp - TOSA elementwise ops with broadcasting -----------===//
//
// Every elementwise op is a pure Func: Halide inlines it into its consumer,
// so a chain of them (bias add, activation, residual add) costs no memory
// traffic. Operands broadcast TOSA style (equal ranks, dims of size 1).
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;
using HType = Halide::Type;

namespace kiln::codegen {
namespace {

using UnaryFn = std::function<llvm::Expected<Expr>(Operation *, Expr, HType)>;
using BinaryFn = std::function<llvm::Expected<Expr>(Operation *, Expr, Expr, HType)>;

llvm::Expected<HType> resultType(Operation *op) {
  auto type = halideType(cast<ShapedType>(op->getResult(0).getType()).getElementType());
  if (!type)
    return opError(op, llvm::toString(type.takeError()));
  return *type;
}

// Wraps a per-element function into an emitter; `fn` may reject the op.
OpEmitter unary(UnaryFn fn) {
  return [fn](Operation *op, EmitContext &ctx) -> llvm::Error {
    auto outType = resultType(op);
    if (!outType)
      return outType.takeError();
    const HTensor &in = ctx.lookup(op->getOperand(0));
    std::vector<int64_t> shape = shapeOf(op->getResult(0));
    // Probe once so that an unsupported case is an error, not a bad Func.
    std::vector<Expr> zeros(shape.size(), Expr(0));
    auto probe = fn(op, ctx.broadcastAt(in, shape, zeros), *outType);
    if (!probe)
      return probe.takeError();
    return ctx.definePure(op->getResult(0), op->getName().stripDialect(),
                          [&](const std::vector<Expr> &i) {
                            return *fn(op, ctx.broadcastAt(in, shape, i), *outType);
                          });
  };
}

OpEmitter binary(BinaryFn fn) {
  return [fn](Operation *op, EmitContext &ctx) -> llvm::Error {
    auto outType = resultType(op);
    if (!outType)
      return outType.takeError();
    const HTensor &a = ctx.lookup(op->getOperand(0));
    const HTensor &b = ctx.lookup(op->getOperand(1));
    std::vector<int64_t> shape = shapeOf(op->getResult(0));
    std::vector<Expr> zeros(shape.size(), Expr(0));
    auto probe =
        fn(op, ctx.broadcastAt(a, shape, zeros), ctx.broadcastAt(b, shape, zeros), *outType);
    if (!probe)
      return probe.takeError();
    return ctx.definePure(
        op->getResult(0), op->getName().stripDialect(), [&](const std::vector<Expr> &i) {
          return *fn(op, ctx.broadcastAt(a, shape, i), ctx.broadcastAt(b, shape, i), *outType);
        });
  };
}

// Arithmetic in the result type (TOSA int mul may widen i8/i16 to i32).
BinaryFn arith(std::function<Expr(Expr, Expr)> f) {
  return [f](Operation *, Expr a, Expr b, HType t) -> llvm::Expected<Expr> {
    return f(Halide::cast(t, a), Halide::cast(t, b));
  };
}

BinaryFn compare(std::function<Expr(Expr, Expr)> f) {
  return [f](Operation *, Expr a, Expr b, HType) -> llvm::Expected<Expr> { return f(a, b); };
}

// A float compared with itself is the NaN test (ONNX IsNaN imports as
// not(equal(x, x))). Halide's simplifier folds x == x to true, so that case
// is is_nan, which Halide evaluates in strict-float mode.
llvm::Expected<Expr> equalFn(Operation *op, Expr a, Expr b, HType) {
  if (op->getOperand(0) == op->getOperand(1) && a.type().is_float())
    return !Halide::is_nan(a);
  return a == b;
}

BinaryFn logicalShift(bool left) {
  return [left](Operation *, Expr a, Expr b, HType t) -> llvm::Expected<Expr> {
    HType u = t.with_code(Halide::Type::UInt);
    Expr x = Halide::cast(u, a), s = Halide::cast(u, b);
    return Halide::cast(t, left ? x << s : x >> s);
  };
}

UnaryFn floatOnly(std::function<Expr(Expr)> f) {
  return [f](Operation *op, Expr x, HType t) -> llvm::Expected<Expr> {
    if (!t.is_float())
      return opError(op, "only floating-point operands are supported");
    return f(x);
  };
}

llvm::Expected<Expr> mulFn(Operation *op, Expr a, Expr b, HType t) {
  if (cast<tosa::MulOp>(op).getShift() != 0)
    return opError(op, "a non-zero shift is not supported");
  return Halide::cast(t, a) * Halide::cast(t, b);
}

llvm::Expected<Expr> intDivFn(Operation *op, Expr a, Expr b, HType t) {
  // TOSA divides towards zero; Halide's integer division rounds down.
  return Halide::div_round_to_zero(Halide::cast(t, a), Halide::cast(t, b));
}

llvm::Expected<Expr> powFn(Operation *op, Expr a, Expr b, HType t) {
  if (!t.is_float())
    return opError(op, "only floating-point pow is supported");
  return Halide::pow(a, b);
}

llvm::Expected<Expr> negateFn(Operation *op, Expr x, HType t) {
  if (cast<tosa::NegateOp>(op).getQuantizationInfo())
    return opError(op, "quantized negate is not supported");
  return -x;
}

llvm::Expected<Expr> clampFn(Operation *op, Expr x, HType t) {
  auto clamp = cast<tosa::ClampOp>(op);
  if (t.is_float())
    return Halide::clamp(x, Halide::cast(t, Expr(clamp.getMinFp().convertToDouble())),
                         Halide::cast(t, Expr(clamp.getMaxFp().convertToDouble())));
  // Bounds beyond the element type's range mean "no bound".
  int64_t lo = clamp.getMinInt(), hi = clamp.getMaxInt();
  if (t.is_int() || t.is_uint()) {
    double tmin = t.is_int() ? -std::ldexp(1.0, t.bits() - 1) : 0.0;
    double tmax = t.is_int() ? std::ldexp(1.0, t.bits() - 1) - 1 : std::ldexp(1.0, t.bits()) - 1;
    Expr result = x;
    if (static_cast<double>(lo) > tmin)
      result = Halide::max(result, Halide::cast(t, Expr(lo)));
    if (static_cast<double>(hi) < tmax)
      result = Halide::min(result, Halide::cast(t, Expr(hi)));
    return result;
  }
  return opError(op, "unsupported element type");
}

// TOSA cast: float to integer rounds to nearest (ties to even) and
// saturates; anything to bool is "!= 0"; the rest convert as C does.
llvm::Expected<Expr> castFn(Operation *op, Expr x, HType t) {
  HType from = x.type();
  if (t.is_bool())
    return x != Halide::cast(from, 0);
  if (from.is_float() && !t.is_float())
    return Halide::saturating_cast(t, Halide::round(x));
  return Halide::cast(t, x);
}

llvm::Expected<Expr> erfFn(Operation *op, Expr x, HType t) {
  if (!t.is_float())
    return opError(op, "only floating-point operands are supported");
  // Halide's erf is Float(32) only; wider or narrower floats go through it.
  return Halide::erf(Halide::cast(Halide::Float(32), x));
}

llvm::Error emitSelect(Operation *op, EmitContext &ctx) {
  const HTensor &pred = ctx.lookup(op->getOperand(0));
  const HTensor &a = ctx.lookup(op->getOperand(1));
  const HTensor &b = ctx.lookup(op->getOperand(2));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  return ctx.definePure(op->getResult(0), "select", [&](const std::vector<Expr> &i) {
    return Halide::select(ctx.broadcastAt(pred, shape, i), ctx.broadcastAt(a, shape, i),
                          ctx.broadcastAt(b, shape, i));
  });
}

} // namespace

void registerElementwiseEmitters(EmitterTable &t) {
  t["tosa.add"] = binary(arith([](Expr a, Expr b) { return a + b; }));
  t["tosa.sub"] = binary(arith([](Expr a, Expr b) { return a - b; }));
  t["tosa.mul"] = binary(mulFn);
  t["tosa.maximum"] = binary(arith([](Expr a, Expr b) { return Halide::max(a, b); }));
  t["tosa.minimum"] = binary(arith([](Expr a, Expr b) { return Halide::min(a, b); }));
  t["tosa.pow"] = binary(powFn);
  t["tosa.int_div"] = binary(intDivFn);
  t["tosa.equal"] = binary(equalFn);
  t["tosa.greater"] = binary(compare([](Expr a, Expr b) { return a > b; }));
  t["tosa.greater_equal"] = binary(compare([](Expr a, Expr b) { return a >= b; }));
  t["tosa.logical_and"] = binary(compare([](Expr a, Expr b) { return a && b; }));
  t["tosa.logical_or"] = binary(compare([](Expr a, Expr b) { return a || b; }));
  t["tosa.logical_xor"] = binary(compare([](Expr a, Expr b) { return a != b; }));
  t["tosa.bitwise_and"] = binary(arith([](Expr a, Expr b) { return a & b; }));
  t["tosa.bitwise_or"] = binary(arith([](Expr a, Expr b) { return a | b; }));
  t["tosa.bitwise_xor"] = binary(arith([](Expr a, Expr b) { return a ^ b; }));
  // Logical shifts: zeros shift in, so the operand is taken as unsigned.
  t["tosa.logical_left_shift"] = binary(logicalShift(true));
  t["tosa.logical_right_shift"] = binary(logicalShift(false));

  t["tosa.abs"] = unary([](Operation *, Expr x, HType) -> llvm::Expected<Expr> {
    return Halide::abs(x); // unsigned for ints; definePure casts back
  });
  t["tosa.negate"] = unary(negateFn);
  t["tosa.clamp"] = unary(clampFn);
  t["tosa.cast"] = unary(castFn);
  t["tosa.erf"] = unary(erfFn);
  t["tosa.logical_not"] =
      unary([](Operation *, Expr x, HType) -> llvm::Expected<Expr> { return !x; });
  t["tosa.bitwise_not"] =
      unary([](Operation *, Expr x, HType) -> llvm::Expected<Expr> { return ~x; });
  t["tosa.exp"] = unary(floatOnly([](Expr x) { return Halide::exp(x); }));
  t["tosa.log"] = unary(floatOnly([](Expr x) { return Halide::log(x); }));
  t["tosa.tanh"] = unary(floatOnly([](Expr x) { return Halide::tanh(x); }));
  t["tosa.sin"] = unary(floatOnly([](Expr x) { return Halide::sin(x); }));
  t["tosa.cos"] = unary(floatOnly([](Expr x) { return Halide::cos(x); }));
  t["tosa.floor"] = unary(floatOnly([](Expr x) { return Halide::floor(x); }));
  t["tosa.ceil"] = unary(floatOnly([](Expr x) { return Halide::ceil(x); }));
  t["tosa.sigmoid"] = unary(floatOnly([](Expr x) {
    return Halide::cast(x.type(), 1) / (Halide::cast(x.type(), 1) + Halide::exp(-x));
  }));
  t["tosa.reciprocal"] = unary(floatOnly([](Expr x) { return Halide::cast(x.type(), 1) / x; }));
  t["tosa.rsqrt"] =
      unary(floatOnly([](Expr x) { return Halide::cast(x.type(), 1) / Halide::sqrt(x); }));
  t["tosa.select"] = emitSelect;
}

} // namespace kiln::codegen
