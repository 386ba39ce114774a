//===- Bounded.cpp - kiln.compact: outputs of data-dependent length -------===//
//
// tosa.custom "kiln.compact" (compiler/import/common/Bounded.h) with
// implementation_attrs "axis=<a>": operands (data, mask), results (packed,
// count). Slice i of `data` along the axis is selected where mask(i) is
// non-zero (i past the mask's end is not); the selected slices go to the
// front of `packed` in order, the rest is zero; `count` (i64 [1]) says how
// many there are. The generated host code and the runners read the count.
//
// In Halide: pos(i), the number of selected slices before i, is a scan
// (one sequential update over the axis, computed once at the root); packed
// is zero, then one scattering update over the selected i that writes slice
// i at pos(i). Cost: one pass over the mask and one over the selected data,
// in place of a sort or a search. The scatter index is clamped to the axis
// so that Halide's bounds inference sees it inside the output.
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

llvm::Error emitCompact(tosa::CustomOp custom, EmitContext &ctx) {
  Operation *op = custom;
  int64_t axis = -1;
  llvm::StringRef attrs = custom.getImplementationAttrs();
  if (!attrs.consume_front("axis=") || attrs.getAsInteger(10, axis))
    return opError(op, "kiln.compact needs implementation_attrs \"axis=<n>\"");
  if (op->getNumOperands() != 2 || op->getNumResults() != 2)
    return opError(op, "kiln.compact takes (data, mask) and makes (packed, count)");
  const HTensor &data = ctx.lookup(op->getOperand(0));
  const HTensor &mask = ctx.lookup(op->getOperand(1));
  if (axis < 0 || axis >= data.rank() || mask.rank() != 1 || mask.shape[0] > data.shape[axis] ||
      mask.shape[0] < 1)
    return opError(op, "kiln.compact: the mask must be rank 1 and no longer than the axis");
  int n = static_cast<int>(data.shape[axis]), m = static_cast<int>(mask.shape[0]);

  Halide::Var i("i");
  Halide::Func selected = ctx.newFunc("compact_selected");
  Expr bit = mask.type.is_bool() ? mask.at({Halide::min(i, m - 1)})
                                 : mask.at({Halide::min(i, m - 1)}) != Halide::cast(mask.type, 0);
  selected(i) = Halide::select(i < m && bit, 1, 0);
  Halide::Func pos = ctx.newFunc("compact_pos");
  pos(i) = 0;
  Halide::RDom scan(1, n);
  pos(scan) = pos(scan - 1) + selected(scan - 1);
  // Read by both outputs, and a scan: never inlined nor recomputed.
  pos.compute_root();

  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  std::vector<Halide::Var> v = tensorVars(data.rank());
  Halide::Func packed = ctx.newFunc("compact");
  defineFunc(packed, v, Halide::cast(data.type, 0));
  Halide::RDom r(0, n);
  r.where(selected(r) != 0);
  std::vector<Expr> src = toExprs(v), dst = toExprs(v);
  src[axis] = r;
  dst[axis] = Halide::clamp(pos(r), 0, n - 1);
  std::vector<Expr> dstReversed(dst.rbegin(), dst.rend());
  packed(dstReversed) = data.at(src);
  ctx.bind(op->getResult(0), HTensor{packed, shape, data.type});

  Halide::Func count = ctx.newFunc("compact_count");
  count(i) = Halide::cast<int64_t>(pos(n)); // pos(n): the selected slices in [0, n)
  ctx.bind(op->getResult(1), HTensor{count, {1}, Halide::Int(64)});
  return llvm::Error::success();
}

} // namespace

void registerBoundedEmitters(EmitterTable &table) {
  OpEmitter previous = table.lookup("tosa.custom");
  table["tosa.custom"] = [previous](Operation *op, EmitContext &ctx) -> llvm::Error {
    auto custom = cast<tosa::CustomOp>(op);
    if (custom.getOperatorName() == "kiln.compact")
      return emitCompact(custom, ctx);
    if (!previous)
      return opError(op, "unknown custom operator '" + custom.getOperatorName() + "'");
    return previous(op, ctx);
  };
}

} // namespace kiln::codegen
