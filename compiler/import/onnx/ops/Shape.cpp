//===- Shape.cpp - Constant, ConstantOfShape, Shape, Size, Range ----------===//
//
// These produce Literals: shapes are static, so Shape and Size are known, and
// their consumers (Gather, Concat, Reshape, ...) fold on the host in turn.
// ConstantOfShape makes a splat, which costs nothing however large it is.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

llvm::Error convertConstant(OpContext &op) {
  if (const onnx::TensorProto *tensor = op.attrTensor("value")) {
    auto literal = Literal::fromTensorProto(*tensor, op.graph().modelDir());
    if (!literal)
      return literal.takeError();
    op.setLiteral(0, std::move(*literal));
    return llvm::Error::success();
  }
  if (const auto *a = op.attr("value_float")) {
    op.setLiteral(0, Literal::fromDoubles(kFloat, {}, {a->f()}));
  } else if (const auto *a = op.attr("value_floats")) {
    std::vector<double> values(a->floats().begin(), a->floats().end());
    op.setLiteral(0, Literal::fromDoubles(kFloat, {static_cast<int64_t>(values.size())}, values));
  } else if (const auto *a = op.attr("value_int")) {
    op.setLiteral(0, Literal::fromInts(kInt64, {}, {a->i()}));
  } else if (const auto *a = op.attr("value_ints")) {
    std::vector<int64_t> values(a->ints().begin(), a->ints().end());
    op.setLiteral(0, Literal::fromInts(kInt64, {static_cast<int64_t>(values.size())}, values));
  } else {
    return op.fail("only dense numeric values are supported (value, value_float(s), "
                   "value_int(s))");
  }
  return llvm::Error::success();
}

llvm::Error convertConstantOfShape(OpContext &op) {
  auto shape = op.constInts(0, "shape");
  if (!shape)
    return shape.takeError();
  for (int64_t d : *shape)
    if (d <= 0)
      return op.fail("shape " + shapeString(*shape) +
                     " has an empty dimension; empty tensors are not supported");
  Literal value = Literal::fromDoubles(kFloat, {1}, {0.0});
  if (const onnx::TensorProto *tensor = op.attrTensor("value")) {
    auto literal = Literal::fromTensorProto(*tensor, op.graph().modelDir());
    if (!literal)
      return literal.takeError();
    if (literal->size() != 1)
      return op.fail("value must hold one element");
    value = std::move(*literal);
  }
  std::vector<char> element = value.bytes();
  op.setLiteral(0, Literal::splat(value.dtype(), *shape, std::move(element)));
  return llvm::Error::success();
}

llvm::Error convertShape(OpContext &op) {
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  int64_t rank = shape.size();
  // Opset 15 adds start and end (clamped, negative from the back).
  auto clampIndex = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  int64_t start = clampIndex(op.attrInt("start", 0));
  int64_t end = clampIndex(op.attrInt("end", rank));
  std::vector<int64_t> dims(shape.begin() + start, shape.begin() + std::max(start, end));
  op.setLiteral(0, Literal::fromInts(kInt64, {static_cast<int64_t>(dims.size())}, dims));
  return llvm::Error::success();
}

llvm::Error convertSize(OpContext &op) {
  std::optional<int64_t> count = checkedNumElements(op.shape(0));
  if (!count)
    return op.fail("the input has more elements than 64 bits can count");
  op.setLiteral(0, Literal::fromInts(kInt64, {}, {*count}));
  return llvm::Error::success();
}

llvm::Error convertRange(OpContext &op) {
  const Literal *start = op.literal(0), *limit = op.literal(1), *delta = op.literal(2);
  if (!start || !limit || !delta)
    return op.fail("start, limit and delta must be constants");
  double s = start->doubleAt(0), l = limit->doubleAt(0), d = delta->doubleAt(0);
  if (d == 0)
    return op.fail("delta must not be 0");
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((l - s) / d)));
  if (count == 0)
    return op.fail("the range is empty; empty tensors are not supported");
  if (count > kMaxFoldElements)
    return op.fail("a range of " + llvm::Twine(count) + " elements is too large to fold");
  std::vector<double> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = s + i * d;
  op.setLiteral(0, Literal::fromDoubles(start->dtype(), {count}, values));
  return llvm::Error::success();
}

} // namespace

void registerShapeOps(OpTable &table) {
  table.add("Constant", convertConstant);
  table.add("ConstantOfShape", convertConstantOfShape);
  table.add("Shape", convertShape);
  table.add("Size", convertSize);
  table.add("Range", convertRange);
}

} // namespace kiln::onnx_import
