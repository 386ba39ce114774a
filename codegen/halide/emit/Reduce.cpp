//===- Reduce.cpp - reduce_{sum,max,min,prod,all,any} and argmax ----------===//
//
// Reductions along one axis, as inline reductions. TOSA keeps the reduced
// axis with size 1; argmax drops it.
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

enum class Kind { Sum, Max, Min, Prod, All, Any };

template <typename OpT, Kind kind> llvm::Error emitReduce(Operation *op, EmitContext &ctx) {
  auto reduce = cast<OpT>(op);
  const HTensor &in = ctx.lookup(op->getOperand(0));
  int axis = reduce.getAxis();
  if (axis < 0 || axis >= in.rank())
    return opError(op, "axis " + llvm::Twine(axis) + " out of range");
  Halide::RDom r(0, static_cast<int>(in.shape[axis]));
  return ctx.definePure(op->getResult(0), op->getName().stripDialect(),
                        [&](const std::vector<Expr> &i) {
                          std::vector<Expr> idx = i;
                          idx[axis] = r;
                          Expr x = in.at(idx);
                          switch (kind) {
                          case Kind::Sum:
                            return Halide::sum(x);
                          case Kind::Max:
                            return Halide::maximum(x);
                          case Kind::Min:
                            return Halide::minimum(x);
                          case Kind::Prod:
                            return Halide::product(x);
                          case Kind::All:
                            return Halide::minimum(Halide::cast(Halide::UInt(8), x)) != 0;
                          case Kind::Any:
                            return Halide::maximum(Halide::cast(Halide::UInt(8), x)) != 0;
                          }
                          return Expr();
                        });
}

// The first index of the maximum, as TOSA and ONNX specify; NaN is not
// treated specially.
llvm::Error emitArgMax(Operation *op, EmitContext &ctx) {
  auto argmax = cast<tosa::ArgMaxOp>(op);
  const HTensor &in = ctx.lookup(argmax.getInput());
  int axis = argmax.getAxis();
  if (axis < 0 || axis >= in.rank())
    return opError(op, "axis " + llvm::Twine(axis) + " out of range");
  Halide::RDom r(0, static_cast<int>(in.shape[axis]));
  return ctx.definePure(op->getResult(0), "argmax", [&](const std::vector<Expr> &i) {
    std::vector<Expr> idx(i.begin(), i.begin() + axis);
    idx.push_back(r);
    idx.insert(idx.end(), i.begin() + axis, i.end());
    return Halide::argmax(in.at(idx))[0];
  });
}

} // namespace

void registerReduceEmitters(EmitterTable &table) {
  table["tosa.reduce_sum"] = emitReduce<tosa::ReduceSumOp, Kind::Sum>;
  table["tosa.reduce_max"] = emitReduce<tosa::ReduceMaxOp, Kind::Max>;
  table["tosa.reduce_min"] = emitReduce<tosa::ReduceMinOp, Kind::Min>;
  table["tosa.reduce_prod"] = emitReduce<tosa::ReduceProdOp, Kind::Prod>;
  table["tosa.reduce_all"] = emitReduce<tosa::ReduceAllOp, Kind::All>;
  table["tosa.reduce_any"] = emitReduce<tosa::ReduceAnyOp, Kind::Any>;
  table["tosa.argmax"] = emitArgMax;
}

} // namespace kiln::codegen
