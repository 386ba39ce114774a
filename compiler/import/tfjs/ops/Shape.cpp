//===- Shape.cpp - Identity, Shape, Fill, Range, Rank, Size, LinSpace ... ===//
//
// Shapes are static, so Shape is known on the host, and Fill and Range with
// known arguments are constants: the shape subgraphs TF leaves in a model
// fold away here. The one exception is the Shape or Size of a bounded value
// (docs/BOUNDED.md), computed from its run-time count (ops/Count.h).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Count.h"
#include "compiler/import/tfjs/ops/FillPast.h"
#include "compiler/import/tfjs/ops/Length.h"
#include "compiler/import/tfjs/ops/OpTable.h"
#include "compiler/import/tfjs/ops/RowSource.h"

#include <cmath>
#include <cstdio>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

llvm::Error convertIdentity(OpContext &node) {
  for (int i = 0; i < node.numInputs(); ++i) // IdentityN forwards each input
    node.forwardInput(i, i);
  return llvm::Error::success();
}

// FakeQuantWithMinMaxVars: TF.js ignores it (graph_executor.js: "This op is
// currently ignored") and passes x on unquantized; so does Kiln, which
// follows TF.js (compiler/import/tfjs/README.md).
llvm::Error convertFakeQuant(OpContext &node) {
  node.forwardInput(0, 0);
  return llvm::Error::success();
}

// A shape read at import must not be the bound of a value whose length
// depends on the data (docs/BOUNDED.md): the fold would give the bound where
// TF.js gives the run-time length, silently. Walks back from input `i` to
// the bounded value it is computed from, if any (counts, of static shape,
// and selects that fill past a count, ops/Count.h, end the walk), and names
// it. A bounded input itself is not refused: its shape is computed from its
// count (`boundedInput`).
bool boundedInput(OpContext &node, int i) {
  return !node.literal(i) && (import::isBounded(node.value(i)) || rowSource(node.value(i)));
}

llvm::Error refuseBoundedShape(OpContext &node, int i) {
  if (node.literal(i) || boundedInput(node, i))
    return llvm::Error::success();
  llvm::SmallVector<Value> sources = boundedSources(node.value(i));
  if (sources.empty())
    return llvm::Error::success();
  auto loc = dyn_cast<NameLoc>(sources.front().getDefiningOp()->getLoc());
  return node.fail("the shape of input " + llvm::Twine(i) + " depends on the data: it is " +
                   "computed from node '" + (loc ? loc.getName().str() : std::string("?")) +
                   "', whose output length is known only at run time, and Kiln reads "
                   "shapes at import (docs/BOUNDED.md)");
}

llvm::Error convertShape(OpContext &node) {
  // out_type int32 or int64: TF.js computes both as int32.
  if (node.attrs().getType("out_type").value_or(DType::I32) != DType::I32)
    return node.fail("out_type must be an integer type");
  if (llvm::Error err = refuseBoundedShape(node, 0))
    return err;
  if (boundedInput(node, 0)) {
    node.setValue(0, shapeOfBounded(node, node.value(0)));
    return llvm::Error::success();
  }
  llvm::ArrayRef<int64_t> shape = node.shape(0);
  node.setLiteral(0, Literal::fromInts(DType::I32, {static_cast<int64_t>(shape.size())},
                                       std::vector<int64_t>(shape.begin(), shape.end())));
  return llvm::Error::success();
}

// `shape` filled with input `valueInput` (a scalar).
llvm::Error fill(OpContext &node, llvm::ArrayRef<int64_t> shape, int valueInput) {
  if (numElements(node.shape(valueInput)) != 1)
    return node.fail("the fill value must be a scalar, not " + shapeString(node.shape(valueInput)));
  if (llvm::any_of(shape, [](int64_t d) { return d < 1; }))
    return node.fail("cannot fill shape " + shapeString(shape) +
                     " (empty tensors are not supported)");
  std::vector<int64_t> dims(shape.begin(), shape.end());
  if (const Literal *h = node.literal(valueInput)) {
    if (numElements(dims) <= kMaxFoldElements)
      node.setLiteral(0, Literal::splat(h->dtype(), dims, h->at(0)));
    else // large fills stay a splat attribute, never a buffer
      node.setValue(0, splatConstant(node.builder(), node.loc(),
                                     mlirTypeOf(node.builder().getContext(), h->dtype()), h->at(0),
                                     dims));
    return llvm::Error::success();
  }
  Value v = reshape(node.builder(), node.loc(), node.value(valueInput),
                    std::vector<int64_t>(dims.size(), 1));
  node.setValue(0, node.create<tosa::TileOp>(tensorOf(dims, node.elementType(valueInput)), v,
                                             node.builder().getDenseI64ArrayAttr(dims)));
  return llvm::Error::success();
}

llvm::Error convertFill(OpContext &node) {
  if (!node.literal(0) && countSource(node.value(0)))
    return fillOfCount(node, node.value(0), 1);
  auto dims = node.constInts(0, "dims");
  if (!dims)
    return dims.takeError();
  return fill(node, *dims, 1);
}

llvm::Error convertConstantLike(OpContext &node) {
  double value = node.opType() == "OnesLike" ? 1 : 0;
  std::vector<int64_t> shape(node.shape(0).begin(), node.shape(0).end());
  if (numElements(shape) <= kMaxFoldElements)
    node.setLiteral(0, Literal::splat(node.dtype(0), shape, value));
  else
    node.setValue(0, splatConstant(node.builder(), node.loc(), node.elementType(0), value, shape));
  return llvm::Error::success();
}

llvm::Error convertRange(OpContext &node) {
  const Literal *start = node.literal(0), *limit = node.literal(1), *delta = node.literal(2);
  if (!limit && countSource(node.value(1)))
    return rangeOfLength(node); // a run-time length (docs/BOUNDED.md)
  if (!start || !limit || !delta)
    return node.fail("start, limit and delta must be known");
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1)
    return node.fail("start, limit and delta must be scalars");
  double s = start->at(0), l = limit->at(0), d = delta->at(0);
  auto range = [&] {
    char text[96];
    std::snprintf(text, sizeof text, "range(%.9g, %.9g, %.9g)", s, l, d);
    return std::string(text);
  };
  if (!std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
    return node.fail(range() + " has a bound or a step that is not finite");
  if (d == 0 || (d > 0 && l < s) || (d < 0 && l > s))
    return node.fail(range() + " is empty or endless");
  bool isFloat = start->isFloat();
  // Counted in double: a float range can be longer than int64 holds.
  double count = isFloat ? std::ceil((l - s) / d)
                         : static_cast<double>((std::abs(limit->intAt(0) - start->intAt(0)) +
                                                std::abs(delta->intAt(0)) - 1) /
                                               std::abs(delta->intAt(0)));
  if (count < 1 || count > kMaxFoldElements)
    return node.fail(range() + " has " + (count < 1 ? "no" : "too many") +
                     " elements (Kiln computes ranges at import, up to " +
                     llvm::Twine(kMaxFoldElements) + ")");
  int64_t n = static_cast<int64_t>(count);
  if (isFloat) {
    std::vector<float> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(static_cast<float>(s + i * d));
    node.setLiteral(0, Literal::fromFloats({n}, std::move(values)));
  } else {
    std::vector<int64_t> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(start->intAt(0) + i * delta->intAt(0));
    node.setLiteral(0, Literal::fromInts(start->dtype(), {n}, std::move(values)));
  }
  return llvm::Error::success();
}

// Rank and Size: known from the static shape.
llvm::Error convertRankOrSize(OpContext &node) {
  if (node.opType() == "Size") {
    if (llvm::Error err = refuseBoundedShape(node, 0))
      return err;
    if (boundedInput(node, 0)) {
      node.setValue(0, sizeOfBounded(node, node.value(0)));
      return llvm::Error::success();
    }
  }
  int64_t v = node.opType() == "Rank" ? node.rank(0) : numElements(node.shape(0));
  node.setLiteral(0, Literal::fromInts(DType::I32, {}, {v}));
  return llvm::Error::success();
}

llvm::Error convertShapeN(OpContext &node) {
  for (int i = 0; i < node.numInputs(); ++i) {
    if (llvm::Error err = refuseBoundedShape(node, i))
      return err;
    if (boundedInput(node, i)) {
      node.setValue(i, shapeOfBounded(node, node.value(i)));
      continue;
    }
    llvm::ArrayRef<int64_t> shape = node.shape(i);
    node.setLiteral(i, Literal::fromInts(DType::I32, {static_cast<int64_t>(shape.size())},
                                         std::vector<int64_t>(shape.begin(), shape.end())));
  }
  return llvm::Error::success();
}

// PlaceholderWithDefault is its default (a compiled model takes no optional
// inputs); Print prints nothing and passes its first input on.
llvm::Error convertForwardFirst(OpContext &node) {
  node.forwardInput(0, 0);
  return llvm::Error::success();
}

// EnsureShape: the static shape must be the one asked for (-1: any size),
// TF's `shape` attribute or, as TF.js's op list reads it, a second input.
llvm::Error convertEnsureShape(OpContext &node) {
  llvm::Expected<std::vector<int64_t>> shape = std::vector<int64_t>();
  if (node.numInputs() > 1)
    shape = node.constInts(1, "shape");
  else if (auto attr = node.attrs().getShape("shape"))
    *shape = *attr;
  else
    return node.fail("no shape attribute");
  if (!shape)
    return shape.takeError();
  llvm::ArrayRef<int64_t> have = node.shape(0);
  bool same = shape->size() == have.size();
  for (size_t i = 0; same && i < have.size(); ++i)
    same = (*shape)[i] < 0 || (*shape)[i] == have[i];
  if (!same)
    return node.fail("the tensor has shape " + shapeString(have) + ", not " + shapeString(*shape));
  node.forwardInput(0, 0);
  return llvm::Error::success();
}

// Ones and Zeros (TF.js's own ops): a known shape, dtype T.
llvm::Error convertOnesZeros(OpContext &node) {
  auto dims = node.constInts(0, "shape");
  if (!dims)
    return dims.takeError();
  DType dtype = node.attrs().getType("T").value_or(DType::F32);
  if (llvm::any_of(*dims, [](int64_t d) { return d < 1; }))
    return node.fail("cannot make shape " + shapeString(*dims) +
                     " (empty tensors are not supported)");
  double value = node.opType() == "Ones" ? 1 : 0;
  if (numElements(*dims) <= kMaxFoldElements)
    node.setLiteral(0, Literal::splat(dtype, *dims, value));
  else
    node.setValue(0, splatConstant(node.builder(), node.loc(),
                                   mlirTypeOf(node.builder().getContext(), dtype), value, *dims));
  return llvm::Error::success();
}

// BroadcastArgs: the broadcast of two known shapes.
llvm::Error convertBroadcastArgs(OpContext &node) {
  auto a = node.constInts(0, "s0");
  if (!a)
    return a.takeError();
  auto b = node.constInts(1, "s1");
  if (!b)
    return b.takeError();
  auto shape = broadcastShapes(*a, *b);
  if (!shape)
    return node.fail(llvm::toString(shape.takeError()));
  node.setLiteral(0, Literal::fromInts(DType::I32, {static_cast<int64_t>(shape->size())}, *shape));
  return llvm::Error::success();
}

// LinSpace(start, stop, num): known arguments, computed as TF.js does
// (start + i * (stop - start) / (num - 1), in float32).
llvm::Error convertLinSpace(OpContext &node) {
  const Literal *start = node.literal(0), *stop = node.literal(1), *num = node.literal(2);
  if (!start || !stop || !num || start->size() != 1 || stop->size() != 1 || num->size() != 1)
    return node.fail("start, stop and num must be known scalars");
  int64_t n = num->intAt(0);
  if (n < 1 || n > kMaxFoldElements)
    return node.fail("num " + llvm::Twine(n) + " is outside 1.." + llvm::Twine(kMaxFoldElements));
  float s = start->at(0), step = n > 1 ? static_cast<float>((stop->at(0) - s) / (n - 1)) : 0.f;
  std::vector<float> values;
  for (int64_t i = 0; i < n; ++i)
    values.push_back(s + static_cast<float>(i) * step);
  node.setLiteral(0, Literal::fromFloats({n}, std::move(values)));
  return llvm::Error::success();
}

// A NoOp has only control inputs, which the importer drops with every other
// control edge (TF.js's executor runs it for ordering and it yields nothing),
// so a model holding one imports without it. It is converted only if
// something asks for a value of it, which it does not have.
llvm::Error convertNoOp(OpContext &node) {
  return node.fail("NoOp has no outputs: it cannot be a model output or an op's input");
}

} // namespace

void registerShapeOps(OpTable &table) {
  table.add("NoOp", convertNoOp, 0, -1);
  for (const char *op : {"Identity", "StopGradient", "Snapshot"})
    table.add(op, convertIdentity, 1, 1);
  table.add("IdentityN", convertIdentity, 1, -1);
  table.add("FakeQuantWithMinMaxVars", convertFakeQuant, 1, 3);
  table.add("Shape", convertShape, 1, 1);
  table.add("Fill", convertFill, 2, 2);
  table.add("ZerosLike", convertConstantLike, 1, 1);
  table.add("OnesLike", convertConstantLike, 1, 1);
  table.add("Range", convertRange, 3, 3);
  table.add("Rank", convertRankOrSize, 1, 1);
  table.add("Size", convertRankOrSize, 1, 1);
  table.add("ShapeN", convertShapeN, 1, -1);
  table.add("PlaceholderWithDefault", convertForwardFirst, 1, 1);
  table.add("Print", convertForwardFirst, 1, -1);
  table.add("EnsureShape", convertEnsureShape, 1, 2);
  table.add("Ones", convertOnesZeros, 1, 1);
  table.add("Zeros", convertOnesZeros, 1, 1);
  table.add("BroadcastArgs", convertBroadcastArgs, 2, 2);
  table.add("LinSpace", convertLinSpace, 3, 3);
}

} // namespace kiln::tfjs_import
