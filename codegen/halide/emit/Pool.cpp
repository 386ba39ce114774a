//===- Pool.cpp - max_pool2d and avg_pool2d -------------------------------===//
//
// Pools are inline reductions (Halide's maximum/sum): pure Funcs that fuse
// into whatever consumes them, vectorised along channels by the consumer's
// schedule.
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <limits>

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

bool anyNonZero(ArrayRef<int64_t> values) {
  return llvm::any_of(values, [](int64_t v) { return v != 0; });
}

llvm::Error emitMaxPool(Operation *op, EmitContext &ctx) {
  auto pool = cast<tosa::MaxPool2dOp>(op);
  const HTensor &in = ctx.lookup(pool.getInput());
  ArrayRef<int64_t> kernel = pool.getKernel(), stride = pool.getStride(), pad = pool.getPad();
  // Padding never wins the maximum.
  Expr lowest = in.type.is_float() ? Halide::cast(in.type, -std::numeric_limits<float>::infinity())
                                   : in.type.min();
  HTensor src =
      anyNonZero(pad) ? ctx.withConstantExterior(in, {false, true, true, false}, lowest) : in;
  Halide::RDom r(0, int(kernel[1]), 0, int(kernel[0]));
  return ctx.definePure(op->getResult(0), "max_pool2d", [&](const std::vector<Expr> &i) {
    Expr iy = i[1] * int(stride[0]) + r.y - int(pad[0]);
    Expr ix = i[2] * int(stride[1]) + r.x - int(pad[2]);
    return Halide::maximum(src.at({i[0], iy, ix, i[3]}));
  });
}

// TOSA's average excludes the padding from the count: each output divides
// by the number of window taps that fall inside the input.
llvm::Error emitAvgPool(Operation *op, EmitContext &ctx) {
  auto pool = cast<tosa::AvgPool2dOp>(op);
  if (pool.getQuantizationInfo())
    return opError(op, "quantized pooling is not supported");
  const HTensor &in = ctx.lookup(pool.getInput());
  if (!in.type.is_float())
    return opError(op, "only floating-point average pooling is supported");
  ArrayRef<int64_t> kernel = pool.getKernel(), stride = pool.getStride(), pad = pool.getPad();
  int ih = in.shape[1], iw = in.shape[2], kh = kernel[0], kw = kernel[1];
  HTensor src =
      anyNonZero(pad) ? ctx.withConstantExterior(in, {false, true, true, false}, Expr(0)) : in;
  Halide::RDom r(0, kw, 0, kh);
  return ctx.definePure(op->getResult(0), "avg_pool2d", [&](const std::vector<Expr> &i) {
    Expr y0 = i[1] * int(stride[0]) - int(pad[0]);
    Expr x0 = i[2] * int(stride[1]) - int(pad[2]);
    Expr total =
        Halide::sum(Halide::cast(Halide::Float(32), src.at({i[0], y0 + r.y, x0 + r.x, i[3]})));
    Expr rows = Halide::min(y0 + kh, ih) - Halide::max(y0, 0);
    Expr cols = Halide::min(x0 + kw, iw) - Halide::max(x0, 0);
    return total / Halide::cast(Halide::Float(32), Halide::max(rows * cols, 1));
  });
}

} // namespace

void registerPoolEmitters(EmitterTable &table) {
  table["tosa.max_pool2d"] = emitMaxPool;
  table["tosa.avg_pool2d"] = emitAvgPool;
}

} // namespace kiln::codegen
