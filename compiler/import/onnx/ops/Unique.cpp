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
// Bounded.h, whose import::unique builds both, as for TF.js Unique). The
// compactions only copy (the data is already packed); they cost one pass
// each and keep the bounded outputs in one place.
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

llvm::Error convertUnique(OpContext &op) {
  Value input;
  auto axis = axisOrFlattened(op, input);
  if (!axis)
    return axis.takeError();
  int64_t sorted = op.attrInt("sorted", 1);
  if (sorted != 0 && sorted != 1)
    return op.fail("sorted must be 0 or 1, got " + llvm::Twine(sorted));
  unsigned want = (op.hasOutput(0) ? import::kUniqueValues : 0) |
                  (op.hasOutput(1) ? import::kUniqueIndices : 0) |
                  (op.hasOutput(3) ? import::kUniqueCounts : 0);
  auto unique = import::unique(op.builder(), op.loc(), input, *axis, sorted, want, "X");
  if (!unique)
    return unique.takeError();
  Value outputs[] = {unique->values, unique->indices, unique->inverse, unique->counts};
  for (int i = 0; i < 4; ++i)
    if (op.hasOutput(i))
      op.setValue(i, outputs[i]);
  return llvm::Error::success();
}

} // namespace

void registerUniqueOps(OpTable &table) { table.add("Unique", convertUnique); }

} // namespace kiln::onnx_import
