//===- Resize.cpp - tosa.resize (nearest and bilinear) --------------------===//
//
// TOSA resize maps output (oy, ox) to the input position
//   y = (oy * scale_y_d + offset_y) / scale_y_n
// (likewise x), with scale = [y_n, y_d, x_n, x_d]; border only fixes the
// output size. Nearest rounds the fraction half up; bilinear blends the two
// neighbours, each clamped to the input.
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

llvm::Error emitResize(Operation *op, EmitContext &ctx) {
  auto resize = cast<tosa::ResizeOp>(op);
  const HTensor &in = ctx.lookup(resize.getInput());
  ArrayRef<int64_t> scale = resize.getScale(), offset = resize.getOffset();
  StringRef mode = resize.getMode();
  if (!in.type.is_float())
    return opError(op, "only floating-point resize is supported");
  if (scale[0] <= 0 || scale[1] <= 0 || scale[2] <= 0 || scale[3] <= 0)
    return opError(op, "scale entries must be positive");
  int ih = in.shape[1], iw = in.shape[2];
  auto f32 = [](Expr e) { return Halide::cast(Halide::Float(32), e); };
  return ctx.definePure(op->getResult(0), "resize", [&](const std::vector<Expr> &i) {
    // Integer positions in units of 1/scale_n, as the spec computes them.
    Expr y = i[1] * int(scale[1]) + int(offset[0]);
    Expr x = i[2] * int(scale[3]) + int(offset[1]);
    Expr iy = y / int(scale[0]), ix = x / int(scale[2]); // rounds down
    Expr dy = f32(y - iy * int(scale[0])) / float(scale[0]);
    Expr dx = f32(x - ix * int(scale[2])) / float(scale[2]);
    auto read = [&](Expr yy, Expr xx) {
      return f32(in.at({i[0], Halide::clamp(yy, 0, ih - 1), Halide::clamp(xx, 0, iw - 1), i[3]}));
    };
    if (mode == "NEAREST_NEIGHBOR")
      return read(Halide::select(dy >= 0.5f, iy + 1, iy), Halide::select(dx >= 0.5f, ix + 1, ix));
    Expr top = read(iy, ix) * (1.0f - dx) + read(iy, ix + 1) * dx;
    Expr bottom = read(iy + 1, ix) * (1.0f - dx) + read(iy + 1, ix + 1) * dx;
    return top * (1.0f - dy) + bottom * dy;
  });
}

} // namespace

void registerResizeEmitters(EmitterTable &table) { table["tosa.resize"] = emitResize; }

} // namespace kiln::codegen
