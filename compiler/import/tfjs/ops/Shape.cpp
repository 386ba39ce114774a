//===- Shape.cpp - Identity, Shape, Fill, Range, ZerosLike, OnesLike ------===//
//
// Shapes are static, so Shape is always known on the host, and Fill and
// Range with known arguments are constants: the shape subgraphs TF leaves in
// a model fold away here.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/Tosa.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <cmath>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

llvm::Error convertIdentity(NodeContext &node) {
  for (int i = 0; i < node.numInputs(); ++i) // IdentityN forwards each input
    node.forward(i, i);
  return llvm::Error::success();
}

llvm::Error convertShape(NodeContext &node) {
  // out_type int32 or int64: TF.js computes both as int32.
  if (node.attrs().getType("out_type").value_or(DType::I32) != DType::I32)
    return node.fail("out_type must be an integer type");
  llvm::ArrayRef<int64_t> shape = node.shape(0);
  node.setHost(0, HostTensor::fromInts(DType::I32, {static_cast<int64_t>(shape.size())},
                                       std::vector<int64_t>(shape.begin(), shape.end())));
  return llvm::Error::success();
}

// `shape` filled with input `valueInput` (a scalar).
llvm::Error fill(NodeContext &node, llvm::ArrayRef<int64_t> shape, int valueInput) {
  if (numElements(node.shape(valueInput)) != 1)
    return node.fail("the fill value must be a scalar, not " + shapeString(node.shape(valueInput)));
  if (llvm::any_of(shape, [](int64_t d) { return d < 1; }))
    return node.fail("cannot fill shape " + shapeString(shape) +
                     " (empty tensors are not supported)");
  std::vector<int64_t> dims(shape.begin(), shape.end());
  if (const HostTensor *h = node.host(valueInput)) {
    if (numElements(dims) <= kMaxFoldElements)
      node.setHost(0, HostTensor::splat(h->dtype(), dims, h->at(0)));
    else // large fills stay a splat attribute, never a buffer
      node.setValue(0, splatConstant(node.builder(), node.loc(),
                                     mlirType(node.builder(), h->dtype()), h->at(0), dims));
    return llvm::Error::success();
  }
  Value v = reshape(node.builder(), node.loc(), node.value(valueInput),
                    std::vector<int64_t>(dims.size(), 1));
  node.setValue(0, node.create<tosa::TileOp>(tensorOf(dims, node.elementType(valueInput)), v,
                                             node.builder().getDenseI64ArrayAttr(dims)));
  return llvm::Error::success();
}

llvm::Error convertFill(NodeContext &node) {
  auto dims = node.constInts(0, "dims");
  if (!dims)
    return dims.takeError();
  return fill(node, *dims, 1);
}

llvm::Error convertConstantLike(NodeContext &node) {
  double value = node.op() == "OnesLike" ? 1 : 0;
  std::vector<int64_t> shape(node.shape(0).begin(), node.shape(0).end());
  if (numElements(shape) <= kMaxFoldElements)
    node.setHost(0, HostTensor::splat(node.dtype(0), shape, value));
  else
    node.setValue(0, splatConstant(node.builder(), node.loc(), node.elementType(0), value, shape));
  return llvm::Error::success();
}

llvm::Error convertRange(NodeContext &node) {
  const HostTensor *start = node.host(0), *limit = node.host(1), *delta = node.host(2);
  if (!start || !limit || !delta)
    return node.fail("start, limit and delta must be known");
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1)
    return node.fail("start, limit and delta must be scalars");
  double s = start->at(0), l = limit->at(0), d = delta->at(0);
  if (d == 0 || (d > 0 && l < s) || (d < 0 && l > s))
    return node.fail("range(" + std::to_string(s) + ", " + std::to_string(l) + ", " +
                     std::to_string(d) + ") is empty or endless");
  bool isFloat = start->isFloat();
  int64_t n = isFloat
                  ? static_cast<int64_t>(std::ceil((l - s) / d))
                  : (std::abs(limit->intAt(0) - start->intAt(0)) + std::abs(delta->intAt(0)) - 1) /
                        std::abs(delta->intAt(0));
  if (n < 1 || n > kMaxFoldElements)
    return node.fail("range of " + llvm::Twine(n) + " elements is not supported");
  if (isFloat) {
    std::vector<float> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(static_cast<float>(s + i * d));
    node.setHost(0, HostTensor::fromFloats({n}, std::move(values)));
  } else {
    std::vector<int64_t> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(start->intAt(0) + i * delta->intAt(0));
    node.setHost(0, HostTensor::fromInts(start->dtype(), {n}, std::move(values)));
  }
  return llvm::Error::success();
}

} // namespace

void registerShapeOps(OpTable &table) {
  for (const char *op : {"Identity", "StopGradient", "Snapshot"})
    table.add(op, convertIdentity, 1, 1);
  table.add("IdentityN", convertIdentity, 1, -1);
  table.add("Shape", convertShape, 1, 1);
  table.add("Fill", convertFill, 2, 2);
  table.add("ZerosLike", convertConstantLike, 1, 1);
  table.add("OnesLike", convertConstantLike, 1, 1);
  table.add("Range", convertRange, 3, 3);
}

} // namespace kiln::tfjs_import
