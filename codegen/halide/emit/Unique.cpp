//===- Unique.cpp - kiln.unique: the unique slices, in output order -------===//
//
// tosa.custom "kiln.unique" (compiler/import/onnx/ops/Unique.cpp) with
// implementation_attrs "axis=<a>;sorted=<0|1>": operand X, results
// (Y' of X's shape, indices' [n], inverse [n], counts' [n], all int64 but
// Y'), n = X's extent along the axis. Slot k < u (u unique slices) holds the
// k-th unique slice, its first occurrence and its count; slots from u on are
// zero (counts' is the mask the importer compacts by). inverse(i) is the
// slot of slice i. Order: by first occurrence, or (sorted) ascending, slices
// compared lexicographically in row-major order of their elements, as
// numpy.unique (ONNX's reference) orders them.
//
// In Halide, without a sort: diff(j, i), the first element at which slices
// j and i differ (S, the slice size, if none), is one reduction per pair;
// from it, first(i) (the first slice equal to i), how many are equal, and
// slot(i): the unique slices before i (by first occurrence) or below it
// (sorted). One scattering update writes each unique slice's index at its
// slot. Cost: n^2 * S comparisons, where a sort would take n log n; but a
// sort in Halide 14 is a network of log^2 n passes over the data and needs
// its own schedule, the rank by counting is three plain reductions (the
// same as kiln.nms), and Unique's inputs in models are small (labels, token
// ids). The importer caps n (kMaxUniqueSlices).
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <optional>

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

struct UniqueAttrs {
  int64_t axis = -1, sorted = -1;
};

// "axis=<a>;sorted=<0|1>", or nothing if it does not read so.
std::optional<UniqueAttrs> parseUnique(llvm::StringRef text) {
  UniqueAttrs a;
  auto [axisPart, sortedPart] = text.split(';');
  if (!axisPart.consume_front("axis=") || axisPart.getAsInteger(10, a.axis) ||
      !sortedPart.consume_front("sorted=") || sortedPart.getAsInteger(10, a.sorted) ||
      (a.sorted != 0 && a.sorted != 1))
    return std::nullopt;
  return a;
}

llvm::Error emitUnique(tosa::CustomOp custom, EmitContext &ctx) {
  Operation *op = custom;
  auto attrs = parseUnique(custom.getImplementationAttrs());
  if (!attrs || op->getNumOperands() != 1 || op->getNumResults() != 4)
    return opError(op, "kiln.unique takes X, makes (Y, indices, inverse, counts) and needs "
                       "implementation_attrs \"axis=<a>;sorted=<0|1>\"");
  const HTensor &data = ctx.lookup(op->getOperand(0));
  int rank = data.rank(), axis = static_cast<int>(attrs->axis);
  if (axis < 0 || axis >= rank)
    return opError(op, "kiln.unique: axis " + llvm::Twine(axis) + " is outside X's rank " +
                           llvm::Twine(rank));
  int n = static_cast<int>(data.shape[axis]);
  int64_t size = 1; // S, the elements of one slice
  for (int d = 0; d < rank; ++d)
    if (d != axis)
      size *= data.shape[d];
  int s = static_cast<int>(size);

  // Element e of slice `slice`: e row-major over the other dimensions.
  auto element = [&](Expr slice, Expr e) {
    std::vector<Expr> idx(rank);
    Expr rest = e;
    for (int d = rank - 1; d >= 0; --d) {
      if (d == axis)
        continue;
      idx[d] = rest % static_cast<int>(data.shape[d]);
      rest = rest / static_cast<int>(data.shape[d]);
    }
    idx[axis] = slice;
    return data.at(idx);
  };
  auto inSlices = [&](Expr slice) { return Halide::clamp(slice, 0, n - 1); };

  Halide::Var i("i"), j("j"), k("k");
  // diff(j, i): the first element at which slices j and i differ (s if
  // none). Never stored: a table of n^2 ints would be 1 GiB at the
  // importer's cap (16384 slices). Each consumer gets its own copy, since
  // Halide computes an unscheduled reduction at the innermost loop shared by
  // all its consumers: one copy read by three is computed at the root, n^2
  // (measured: 1.2 GB resident at 16384 slices, 167 MB at 64).
  auto newDiff = [&]() {
    Halide::Func diff = ctx.newFunc("unique_diff");
    Halide::RDom r(0, s);
    diff(j, i) = Halide::minimum(Halide::select(element(j, r) != element(i, r), r, s));
    return diff;
  };
  Halide::Func diffFirst = newDiff(), diffOccurs = newDiff(), diffSlot = newDiff();
  auto equal = [&](Halide::Func &diff, Expr a, Expr z) { return diff(a, z) == s; };
  // Slice a sorts before slice z: lower at their first differing element.
  auto below = [&](Halide::Func &diff, Expr a, Expr z) {
    Expr e = Halide::clamp(diff(a, z), 0, s - 1);
    return diff(a, z) < s && element(a, e) < element(z, e);
  };

  Halide::Func first = ctx.newFunc("unique_first"); // the first slice equal to i
  Halide::Func occurs = ctx.newFunc("unique_occurs");
  {
    Halide::RDom r(0, n);
    first(i) = Halide::minimum(Halide::select(equal(diffFirst, r, i), r, n));
    occurs(i) =
        Halide::sum(Halide::select(equal(diffOccurs, r, i), Expr(int64_t(1)), Expr(int64_t(0))));
  }
  first.compute_root();
  occurs.compute_root();
  auto isFirst = [&](Expr a) { return first(a) == a; };
  Halide::Func slot = ctx.newFunc("unique_slot"); // unique slices before (below) i
  Halide::Func total = ctx.newFunc("unique_total");
  {
    Halide::RDom r(0, n);
    Expr before = attrs->sorted ? below(diffSlot, r, i) : r < i;
    slot(i) = Halide::sum(Halide::select(isFirst(r) && before, 1, 0));
    total() = Halide::sum(Halide::select(isFirst(r), 1, 0));
  }
  slot.compute_root();
  total.compute_root();
  Halide::Func source = ctx.newFunc("unique_source"); // the slice in slot k
  source(k) = 0;
  {
    Halide::RDom r(0, n);
    r.where(isFirst(r));
    source(Halide::clamp(slot(r), 0, n - 1)) = Halide::cast<int>(r);
  }
  source.compute_root();
  auto used = [&](Expr slotIndex) { return slotIndex < total(); };

  std::vector<Halide::Var> v = tensorVars(rank);
  std::vector<Expr> src = toExprs(v);
  src[axis] = inSlices(source(v[axis]));
  Halide::Func y = ctx.newFunc("unique_y");
  defineFunc(y, v, Halide::select(used(v[axis]), data.at(src), Halide::cast(data.type, 0)));
  ctx.bind(op->getResult(0), HTensor{y, data.shape, data.type});

  Halide::Func indices = ctx.newFunc("unique_indices");
  indices(k) = Halide::select(used(k), Halide::cast<int64_t>(source(k)), Expr(int64_t(0)));
  Halide::Func inverse = ctx.newFunc("unique_inverse");
  inverse(i) = Halide::cast<int64_t>(slot(inSlices(first(i))));
  Halide::Func counts = ctx.newFunc("unique_counts");
  counts(k) = Halide::select(used(k), occurs(inSlices(source(k))), Expr(int64_t(0)));
  std::vector<int64_t> vector = {n};
  ctx.bind(op->getResult(1), HTensor{indices, vector, Halide::Int(64)});
  ctx.bind(op->getResult(2), HTensor{inverse, vector, Halide::Int(64)});
  ctx.bind(op->getResult(3), HTensor{counts, vector, Halide::Int(64)});
  return llvm::Error::success();
}

} // namespace

void registerUniqueEmitters(EmitterTable &table) {
  table["tosa.custom:kiln.unique"] = [](Operation *op, EmitContext &ctx) -> llvm::Error {
    return emitUnique(cast<tosa::CustomOp>(op), ctx);
  };
}

} // namespace kiln::codegen
