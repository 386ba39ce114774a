//===- MatMul.cpp - fully_connected and (batched) matmul ------------------===//
//
// Like the convolutions: a Func initialised (bias or zero) and updated over
// the reduction, for the tiled schedule templates.
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

llvm::Expected<Halide::Type> floatResult(Operation *op) {
  auto type = halideType(cast<ShapedType>(op->getResult(0).getType()).getElementType());
  if (!type)
    return opError(op, llvm::toString(type.takeError()));
  if (!type->is_float())
    return opError(op, "only floating-point matrix products are supported");
  return *type;
}

// fully_connected: input [N, IC], weight [OC, IC], bias [OC] -> [N, OC].
llvm::Error emitFullyConnected(Operation *op, EmitContext &ctx) {
  auto fc = cast<tosa::FullyConnectedOp>(op);
  if (fc.getQuantizationInfo())
    return opError(op, "quantized products are not supported");
  auto outType = floatResult(op);
  if (!outType)
    return outType.takeError();
  const HTensor &in = ctx.lookup(fc.getInput());
  const HTensor &weight = ctx.lookup(fc.getWeight());
  const HTensor &bias = ctx.lookup(fc.getBias());
  Halide::Func f = ctx.newFunc("fully_connected");
  std::vector<Halide::Var> v = tensorVars(2);
  Halide::RDom r(0, static_cast<int>(weight.shape[1]));
  defineFunc(f, v, Halide::cast(*outType, bias.at({bias.shape[0] == 1 ? Expr(0) : Expr(v[1])})));
  updateFuncAdd(f, v,
                Halide::cast(*outType, in.at({v[0], r})) *
                    Halide::cast(*outType, weight.at({v[1], r})));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  ctx.bind(op->getResult(0), HTensor{f, shape, *outType});
  ctx.addStage(Stage{Stage::FullyConnected, f, r, shape});
  return llvm::Error::success();
}

// matmul: a [N, H, C], b [N, C, W] -> [N, H, W].
llvm::Error emitMatMul(Operation *op, EmitContext &ctx) {
  auto mm = cast<tosa::MatMulOp>(op);
  if (mm.getQuantizationInfo())
    return opError(op, "quantized products are not supported");
  auto outType = floatResult(op);
  if (!outType)
    return outType.takeError();
  const HTensor &a = ctx.lookup(mm.getA());
  const HTensor &b = ctx.lookup(mm.getB());
  Halide::Func f = ctx.newFunc("matmul");
  std::vector<Halide::Var> v = tensorVars(3);
  Halide::RDom r(0, static_cast<int>(a.shape[2]));
  // A batch of one on either side broadcasts.
  Expr na = a.shape[0] == 1 ? Expr(0) : Expr(v[0]);
  Expr nb = b.shape[0] == 1 ? Expr(0) : Expr(v[0]);
  defineFunc(f, v, Halide::cast(*outType, 0));
  updateFuncAdd(f, v,
                Halide::cast(*outType, a.at({na, v[1], r})) *
                    Halide::cast(*outType, b.at({nb, r, v[2]})));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  ctx.bind(op->getResult(0), HTensor{f, shape, *outType});
  ctx.addStage(Stage{Stage::MatMul, f, r, shape});
  return llvm::Error::success();
}

} // namespace

void registerMatMulEmitters(EmitterTable &table) {
  table["tosa.fully_connected"] = emitFullyConnected;
  table["tosa.matmul"] = emitMatMul;
}

} // namespace kiln::codegen
