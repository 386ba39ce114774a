//===- Tensor.cpp - Reshape, Flatten, Squeeze, Transpose, ... -------------===//
//
// Ops that only move data. Known inputs (weights, folded shape tensors) are
// moved on the host, so a Reshape of a Concat of Shapes, or a Transpose of an
// initializer, leaves a constant behind instead of ops.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <numeric>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// Sets output 0 to input 0 with a new shape (same elements).
void setReshaped(OpContext &op, llvm::ArrayRef<int64_t> shape) {
  if (const Literal *lit = op.literal(0))
    op.setLiteral(0, lit->reshaped(shape.vec()));
  else
    op.setValue(0, reshape(op.builder(), op.loc(), op.value(0), shape));
}

llvm::Error convertReshape(OpContext &op) {
  auto requested = op.constInts(1, "shape");
  if (!requested)
    return requested.takeError();
  llvm::ArrayRef<int64_t> in = op.shape(0);
  bool allowZero = op.attrInt("allowzero", 0) != 0;
  std::vector<int64_t> shape = *requested;
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowZero) {
      if (i >= in.size())
        return op.fail("shape " + shapeString(*requested) + " copies dimension " + llvm::Twine(i) +
                       " of a rank-" + llvm::Twine(in.size()) + " input");
      shape[i] = in[i];
    }
    if (shape[i] == -1) {
      if (inferred >= 0)
        return op.fail("shape " + shapeString(*requested) + " has more than one -1");
      inferred = i;
      continue;
    }
    if (shape[i] < 0)
      return op.fail("shape " + shapeString(*requested) + " has a negative dimension");
    known *= shape[i];
  }
  int64_t total = numElements(in);
  if (inferred >= 0) {
    if (known == 0 || total % known)
      return op.fail("cannot reshape " + shapeString(in) + " to " + shapeString(*requested));
    shape[inferred] = total / known;
  } else if (known != total) {
    return op.fail("cannot reshape " + shapeString(in) + " to " + shapeString(*requested));
  }
  setReshaped(op, shape);
  return llvm::Error::success();
}

llvm::Error convertFlatten(OpContext &op) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  int64_t rank = in.size();
  int64_t axis = op.attrInt("axis", 1);
  if (axis < -rank || axis > rank)
    return op.fail("axis " + llvm::Twine(axis) + " is out of range for rank " + llvm::Twine(rank));
  if (axis < 0)
    axis += rank;
  setReshaped(op, {numElements(in.take_front(axis)), numElements(in.drop_front(axis))});
  return llvm::Error::success();
}

// Axes come from an attribute before opset 13 and from input 1 since.
llvm::Expected<std::vector<int64_t>> readAxes(OpContext &op, int64_t rank) {
  std::vector<int64_t> axes;
  if (op.opset() >= 13) {
    if (op.hasInput(1)) {
      auto ints = op.constInts(1, "axes");
      if (!ints)
        return ints.takeError();
      axes = *ints;
    }
  } else {
    axes = op.attrInts("axes");
  }
  for (int64_t &axis : axes) {
    auto normalized = op.normalizeAxis(axis, rank);
    if (!normalized)
      return normalized.takeError();
    axis = *normalized;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return op.fail("axes repeat an axis");
  return axes;
}

llvm::Error convertSqueeze(OpContext &op) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  auto axes = readAxes(op, in.size());
  if (!axes)
    return axes.takeError();
  std::vector<int64_t> shape;
  for (int64_t d = 0; d < static_cast<int64_t>(in.size()); ++d) {
    bool listed = llvm::is_contained(*axes, d);
    if (listed && in[d] != 1)
      return op.fail("cannot squeeze dimension " + llvm::Twine(d) + " of size " +
                     llvm::Twine(in[d]));
    if (listed || (axes->empty() && in[d] == 1))
      continue;
    shape.push_back(in[d]);
  }
  setReshaped(op, shape);
  return llvm::Error::success();
}

llvm::Error convertUnsqueeze(OpContext &op) {
  llvm::ArrayRef<int64_t> in = op.shape(0);
  // The axes index the output, whose rank we only know from their count.
  size_t count =
      op.opset() >= 13 ? (op.literal(1) ? op.literal(1)->size() : 0) : op.attrInts("axes").size();
  if (count == 0)
    return op.fail("Unsqueeze needs constant axes");
  auto axes = readAxes(op, in.size() + count);
  if (!axes)
    return axes.takeError();
  std::vector<int64_t> shape;
  auto next = in.begin();
  for (size_t d = 0; d < in.size() + count; ++d)
    shape.push_back(llvm::is_contained(*axes, static_cast<int64_t>(d)) ? 1 : *next++);
  setReshaped(op, shape);
  return llvm::Error::success();
}

llvm::Error convertIdentity(OpContext &op) {
  op.forwardInput(0, 0);
  return llvm::Error::success();
}

// Inference: Dropout is the identity and its mask all true. A constant
// training_mode of true would draw a random mask: refused.
llvm::Error convertDropout(OpContext &op) {
  if (op.hasInput(2)) {
    const Literal *training = op.literal(2);
    if (!training)
      return op.fail("training_mode must be a constant (Kiln compiles inference)");
    const Literal *ratio = op.hasInput(1) ? op.literal(1) : nullptr;
    bool zeroRatio = ratio && ratio->size() == 1 && ratio->doubleAt(0) == 0.0;
    if (training->intAt(0) && !zeroRatio) // a zero ratio drops nothing
      return op.fail("training_mode = true is not supported (Kiln compiles inference)");
  }
  op.forwardInput(0, 0);
  if (op.hasOutput(1)) {
    std::vector<int64_t> shape(op.shape(0).begin(), op.shape(0).end());
    op.setLiteral(1, Literal::splat(kBool, shape, {1}));
  }
  return llvm::Error::success();
}

llvm::Error convertTranspose(OpContext &op) {
  int64_t rank = op.rank(0);
  std::vector<int64_t> perm = op.attrInts("perm");
  if (perm.empty())
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  std::vector<int64_t> sorted = perm;
  llvm::sort(sorted);
  std::vector<int64_t> identity(rank);
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity)
    return op.fail("perm " + shapeString(perm) + " is not a permutation of " + llvm::Twine(rank) +
                   " axes");
  if (const Literal *lit = op.literal(0))
    op.setLiteral(0, lit->transposed(perm));
  else
    op.setValue(0, transpose(op.builder(), op.loc(), op.value(0), perm));
  return llvm::Error::success();
}

// DepthToSpace and SpaceToDepth: reshape to 6-D, permute, reshape back.
llvm::Error convertDepthToSpace(OpContext &op) {
  if (op.rank(0) != 4)
    return op.fail("input must be 4-D (NCHW)");
  llvm::ArrayRef<int64_t> s = op.shape(0);
  int64_t b = op.attrInt("blocksize", 0), n = s[0], c = s[1], h = s[2], w = s[3];
  if (b < 1 || c % (b * b))
    return op.fail("channels (" + llvm::Twine(c) + ") are not a multiple of blocksize^2");
  bool crd = op.attrString("mode", "DCR") == "CRD";
  Value x = crd ? reshape(op.builder(), op.loc(), op.value(0), {n, c / (b * b), b, b, h, w})
                : reshape(op.builder(), op.loc(), op.value(0), {n, b, b, c / (b * b), h, w});
  x = crd ? transpose(op.builder(), op.loc(), x, {0, 1, 4, 2, 5, 3})
          : transpose(op.builder(), op.loc(), x, {0, 3, 4, 1, 5, 2});
  op.setValue(0, reshape(op.builder(), op.loc(), x, {n, c / (b * b), h * b, w * b}));
  return llvm::Error::success();
}

llvm::Error convertSpaceToDepth(OpContext &op) {
  if (op.rank(0) != 4)
    return op.fail("input must be 4-D (NCHW)");
  llvm::ArrayRef<int64_t> s = op.shape(0);
  int64_t b = op.attrInt("blocksize", 0), n = s[0], c = s[1], h = s[2], w = s[3];
  if (b < 1 || h % b || w % b)
    return op.fail("height and width must be multiples of blocksize");
  Value x = reshape(op.builder(), op.loc(), op.value(0), {n, c, h / b, b, w / b, b});
  x = transpose(op.builder(), op.loc(), x, {0, 3, 5, 1, 2, 4});
  op.setValue(0, reshape(op.builder(), op.loc(), x, {n, c * b * b, h / b, w / b}));
  return llvm::Error::success();
}

} // namespace

void registerTensorOps(OpTable &table) {
  table.add("Reshape", convertReshape);
  table.add("Flatten", convertFlatten);
  table.add("Squeeze", convertSqueeze);
  table.add("Unsqueeze", convertUnsqueeze);
  table.add("Identity", convertIdentity);
  table.add("Dropout", convertDropout);
  table.add("Transpose", convertTranspose);
  table.add("DepthToSpace", convertDepthToSpace);
  table.add("SpaceToDepth", convertSpaceToDepth);
}

} // namespace kiln::onnx_import
