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

#include <array>
#include <cstdlib>
#include <optional>

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
  Expr flag = mask.at({Halide::min(i, m - 1)});
  Expr bit = flag;
  if (mask.type.is_float()) {
    // Non-zero by its bits, sign apart: Halide's float != is an ordered
    // compare, false for a NaN (seen on WASM in the TF.js op suite's
    // Where_float), where ONNX and TF count a NaN as non-zero.
    Halide::Type bits = Halide::UInt(mask.type.bits());
    Expr magnitude = Halide::reinterpret(bits, flag) &
                     Halide::cast(bits, Expr(int64_t((uint64_t(1) << (mask.type.bits() - 1)) - 1)));
    bit = magnitude != Halide::cast(bits, 0);
  } else if (!mask.type.is_bool()) {
    bit = flag != Halide::cast(mask.type, 0);
  }
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

// The limits of kiln.nms: "center=<0|1>;max=<K>;iou=<f>;score=<f>".
struct NmsAttrs {
  bool center = false;
  int64_t max = 0;
  float iou = 0, score = 0;
};

std::optional<NmsAttrs> parseNms(llvm::StringRef text) {
  NmsAttrs a;
  int fields = 0;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ';');
  for (llvm::StringRef part : parts) {
    auto [key, value] = part.split('=');
    std::string v = value.str();
    char *end = nullptr;
    if (key == "center")
      a.center = std::strtol(v.c_str(), &end, 10) != 0;
    else if (key == "max")
      a.max = std::strtoll(v.c_str(), &end, 10);
    else if (key == "iou")
      a.iou = std::strtof(v.c_str(), &end);
    else if (key == "score")
      a.score = std::strtof(v.c_str(), &end);
    else
      return std::nullopt;
    if (!end || *end)
      return std::nullopt;
    ++fields;
  }
  if (fields != 4 || a.max < 1)
    return std::nullopt;
  return a;
}

// ONNX NonMaxSuppression as onnxruntime computes it. Per batch b and class
// c: the boxes in order of decreasing score (ties: the lower index first),
// those with a score above the threshold; a box is suppressed by an earlier
// kept one whose IoU with it exceeds the threshold (boxes of zero area, and
// boxes that do not intersect, suppress nothing); at most `max` are kept.
// The selection lists (b, c, box) by batch, class, then rank.
//
// In Halide: rank(i) counts the boxes ahead of i; sorted(k) is the box of
// rank k (a scatter); keep is one update over the triangle j < k in which
// k is the outer loop, so keep(j) is final before it suppresses k; pre(k)
// counts the kept boxes before k (a scan) and caps them at `max`; a scan over
// the (b, c) pairs gives each pair's first row, and one scattering update
// writes the rows. Cost: O(boxes^2) per batch and class, as the greedy
// algorithm's worst case.
llvm::Error emitNms(tosa::CustomOp custom, EmitContext &ctx) {
  Operation *op = custom;
  auto attrs = parseNms(custom.getImplementationAttrs());
  if (!attrs || op->getNumOperands() != 2 || op->getNumResults() != 2)
    return opError(op, "kiln.nms takes (boxes, scores), makes (selection, count) and needs "
                       "implementation_attrs \"center=..;max=..;iou=..;score=..\"");
  const HTensor &boxes = ctx.lookup(op->getOperand(0));
  const HTensor &scores = ctx.lookup(op->getOperand(1));
  int nb = static_cast<int>(boxes.shape[0]), n = static_cast<int>(boxes.shape[1]);
  int nc = static_cast<int>(scores.shape[1]);
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  int rows = static_cast<int>(shape[0]);
  Halide::Var k("k"), c("c"), b("b"), i("i"), j("j"), q("q");

  // Indices computed from data (sorted boxes) are clamped, so that Halide's
  // bounds inference sees every read inside the inputs.
  auto batch = [&](Expr bb) { return Halide::clamp(bb, 0, nb - 1); };
  auto boxIndex = [&](Expr box) { return Halide::clamp(box, 0, n - 1); };
  auto score = [&](Expr bb, Expr cc, Expr box) {
    return scores.at({batch(bb), Halide::clamp(cc, 0, nc - 1), boxIndex(box)});
  };
  Halide::Func rank = ctx.newFunc("nms_rank");
  {
    Halide::RDom r(0, n);
    Expr other = score(b, c, r), mine = score(b, c, i);
    rank(i, c, b) = Halide::sum(Halide::select(other > mine || (other == mine && r < i), 1, 0));
  }
  rank.compute_root();
  Halide::Func sorted = ctx.newFunc("nms_sorted");
  sorted(k, c, b) = 0;
  {
    Halide::RDom r(0, n);
    sorted(Halide::clamp(rank(r, c, b), 0, n - 1), c, b) = Halide::cast<int>(r);
  }
  sorted.compute_root();

  // Corners (ymin, xmin, ymax, xmax) of box `box` of batch `bb`: from
  // [y1, x1, y2, x2] in either order, or [x_center, y_center, width, height].
  auto corners = [&](Expr bb, Expr box) -> std::array<Expr, 4> {
    bb = batch(bb);
    box = boxIndex(box);
    Expr v0 = boxes.at({bb, box, 0}), v1 = boxes.at({bb, box, 1});
    Expr v2 = boxes.at({bb, box, 2}), v3 = boxes.at({bb, box, 3});
    if (attrs->center)
      return {v1 - v3 * 0.5f, v0 - v2 * 0.5f, v1 + v3 * 0.5f, v0 + v2 * 0.5f};
    return {Halide::min(v0, v2), Halide::min(v1, v3), Halide::max(v0, v2), Halide::max(v1, v3)};
  };
  auto suppresses = [&](Expr bb, Expr a, Expr z) {
    std::array<Expr, 4> p = corners(bb, a), o = corners(bb, z);
    Expr areaP = (p[2] - p[0]) * (p[3] - p[1]), areaO = (o[2] - o[0]) * (o[3] - o[1]);
    Expr ih = Halide::min(p[2], o[2]) - Halide::max(p[0], o[0]);
    Expr iw = Halide::min(p[3], o[3]) - Halide::max(p[1], o[1]);
    Expr inter = Halide::max(ih, 0.0f) * Halide::max(iw, 0.0f);
    Expr iou = inter / (areaP + areaO - inter);
    return areaP > 0.0f && areaO > 0.0f && inter > 0.0f && iou > attrs->iou;
  };

  Halide::Func keep = ctx.newFunc("nms_keep");
  keep(k, c, b) = Halide::select(score(b, c, sorted(k, c, b)) > attrs->score, 1, 0);
  {
    Halide::RDom r(0, n, 0, n); // r.x: an earlier box j, r.y: the box k (outer)
    r.where(r.x < r.y);
    keep(r.y, c, b) =
        Halide::select(keep(r.x, c, b) != 0 && suppresses(b, sorted(r.x, c, b), sorted(r.y, c, b)),
                       0, keep(r.y, c, b));
  }
  keep.compute_root();
  Halide::Func pre = ctx.newFunc("nms_pre"); // kept boxes before k
  pre(k, c, b) = 0;
  {
    Halide::RDom r(1, n);
    pre(r, c, b) = pre(r - 1, c, b) + keep(r - 1, c, b);
  }
  pre.compute_root();
  int pairs = nb * nc;
  Halide::Func first = ctx.newFunc("nms_first"); // the first row of pair q = b * C + c
  first(q) = 0;
  {
    Halide::RDom r(1, pairs);
    Expr prev = r - 1;
    first(r) = first(prev) + Halide::min(pre(n, prev % nc, prev / nc), int(attrs->max));
  }
  first.compute_root();

  Halide::Func selection = ctx.newFunc("nms_selection");
  selection(j, i) = Halide::cast<int64_t>(0);
  {
    Halide::RDom r(0, n, 0, nc, 0, nb); // k, c, b
    r.where(keep(r.x, r.y, r.z) != 0 && pre(r.x, r.y, r.z) < int(attrs->max));
    Expr row = Halide::clamp(first(r.z * nc + r.y) + pre(r.x, r.y, r.z), 0, rows - 1);
    selection(j, row) = Halide::cast<int64_t>(
        Halide::select(j == 0, Expr(r.z), j == 1, Expr(r.y), sorted(r.x, r.y, r.z)));
  }
  ctx.bind(op->getResult(0), HTensor{selection, shape, Halide::Int(64)});
  Halide::Func count = ctx.newFunc("nms_count");
  count(i) = Halide::cast<int64_t>(first(pairs));
  ctx.bind(op->getResult(1), HTensor{count, {1}, Halide::Int(64)});
  return llvm::Error::success();
}

} // namespace

void registerBoundedEmitters(EmitterTable &table) {
  table["tosa.custom:kiln.compact"] = [](Operation *op, EmitContext &ctx) -> llvm::Error {
    return emitCompact(cast<tosa::CustomOp>(op), ctx);
  };
  table["tosa.custom:kiln.nms"] = [](Operation *op, EmitContext &ctx) -> llvm::Error {
    return emitNms(cast<tosa::CustomOp>(op), ctx);
  };
}

} // namespace kiln::codegen
