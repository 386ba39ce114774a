//===- Unique.cpp - Unique: outputs of data-dependent length --------------===//
//
// Unique (opset 11) on the bounded-output design (docs/BOUNDED.md). One
// tosa.custom "kiln.unique" (codegen/halide/emit/Unique.cpp) computes, for
// the slices of X along the axis (the elements of the flattened X without
// one), the unique slices already in output order, zeros after:
//   Y'        X's shape (without an axis, [n]), the unique slices first
//   indices'  [n] int64, the first occurrence of each
//   inverse   [n] int64, the output slot of each slice: static, final
//   counts'   [n] int64, how often each occurs (0 past the last unique)
// counts' is non-zero exactly on the unique slots, so it is also the mask of
// a kiln.compact that gives Y, indices and counts their run-time length:
// each becomes a bounded output with its own "<name>:count", through the
// same host, loader and runner code as NonZero (compiler/import/common/
// Bounded.h). The compactions only copy (the data is already packed); they
// cost one pass each and keep the bounded outputs in one place.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/Bounded.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

/// The emitter compares every pair of slices (O(n^2) slice comparisons, see
/// codegen/halide/emit/Unique.cpp): beyond this many slices, a clear error
/// rather than a compile that seems to hang at run time.
constexpr int64_t kMaxUniqueSlices = 1 << 14;

llvm::Error convertUnique(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  Value input;
  auto axisOr = axisOrFlattened(op, input);
  if (!axisOr)
    return axisOr.takeError();
  int64_t axis = *axisOr;
  llvm::ArrayRef<int64_t> dataShape = typeOf(input).getShape();
  int64_t n = dataShape[axis];
  if (numElements(dataShape) == 0)
    return op.fail("X is empty (shape " + shapeString(shape) +
                   "); Kiln does not support empty outputs");
  if (n > kMaxUniqueSlices)
    return op.fail("X has " + llvm::Twine(n) + (op.hasAttr("axis") ? " slices" : " elements") +
                   "; Kiln's Unique compares every pair and takes at most " +
                   llvm::Twine(kMaxUniqueSlices));
  int64_t sorted = op.attrInt("sorted", 1);
  if (sorted != 0 && sorted != 1)
    return op.fail("sorted must be 0 or 1, got " + llvm::Twine(sorted));

  Type i64 = b.getI64Type();
  Type types[] = {typeOf(input), tensorOf({n}, i64), tensorOf({n}, i64), tensorOf({n}, i64)};
  std::string attrs = ("axis=" + llvm::Twine(axis) + ";sorted=" + llvm::Twine(sorted)).str();
  auto unique = b.create<tosa::CustomOp>(loc, TypeRange(types), "kiln.unique", "kiln", attrs,
                                         ValueRange{input});
  Value counts = unique->getResult(3);
  if (op.hasOutput(0))
    op.setValue(0, import::compact(b, loc, unique->getResult(0), counts, axis).first);
  if (op.hasOutput(1))
    op.setValue(1, import::compact(b, loc, unique->getResult(1), counts, 0).first);
  if (op.hasOutput(2))
    op.setValue(2, unique->getResult(2));
  if (op.hasOutput(3))
    op.setValue(3, import::compact(b, loc, counts, counts, 0).first);
  return llvm::Error::success();
}

} // namespace

void registerUniqueOps(OpTable &table) { table.add("Unique", convertUnique); }

} // namespace kiln::onnx_import
