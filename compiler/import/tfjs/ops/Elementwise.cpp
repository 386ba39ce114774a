//===- Elementwise.cpp - arithmetic, math functions and Cast --------------===//
//
// Binary ops broadcast like numpy. When every operand is known and small
// they fold on the host (shape arithmetic such as `Shape * 2`); otherwise
// they become TOSA. TOSA has no float division: x / y is x * (1 / y), one
// rounding more than TF (with the reciprocal folded when y is constant).
// Integer division follows TF (FloorDiv rounds down; TOSA's int_div
// truncates, so it is corrected). Casts from float to int truncate, as TF's
// do, while TOSA's cast rounds: the value is truncated first.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <cmath>
#include <type_traits>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// a / b for floats: a * reciprocal(b).
Value divide(OpContext &node, Value a, Value b, const Literal *bHost) {
  Value inverse;
  if (bHost && bHost->size() <= kMaxFoldElements) {
    std::vector<int64_t> shape(std::max<int64_t>(typeOf(a).getRank() - bHost->rank(), 0), 1);
    shape.insert(shape.end(), bHost->shape().begin(), bHost->shape().end());
    auto folded =
        foldBinary(HostBinary::RealDiv, Literal::splat(DType::F32, {}, 1), bHost->reshaped(shape));
    inverse = node.graph().createConstant(*folded, "reciprocal");
  } else {
    inverse = unary<tosa::ReciprocalOp>(node.builder(), node.loc(), b);
  }
  return mul(node.builder(), node.loc(), a, inverse);
}

// TF's integer FloorDiv from TOSA's truncating int_div: step down when the
// remainder is non-zero and its sign differs from the divisor's.
Value floorDivInt(OpContext &node, Value a, Value b, const Literal *bHost) {
  Type i1 = node.builder().getI1Type();
  Value q = binary<tosa::IntDivOp>(node.builder(), node.loc(), a, b);
  Value r =
      binary<tosa::SubOp>(node.builder(), node.loc(), a, mul(node.builder(), node.loc(), q, b));
  Value zero = scalarLike(node.builder(), node.loc(), r, 0);
  Value rNegative = binary<tosa::GreaterOp>(node.builder(), node.loc(), zero, r, i1);
  Value adjust;
  bool positiveDivisor = bHost && llvm::all_of(bHost->ints(), [](int64_t v) { return v > 0; });
  if (positiveDivisor) {
    adjust = rNegative; // then r < 0 is exactly "non-zero with the other sign"
  } else {
    Value bNegative = binary<tosa::GreaterOp>(node.builder(), node.loc(),
                                              scalarLike(node.builder(), node.loc(), b, 0), b, i1);
    Value signsDiffer =
        binary<tosa::LogicalXorOp>(node.builder(), node.loc(), rNegative, bNegative);
    Value nonZero = node.create<tosa::LogicalNotOp>(
        typeOf(rNegative), binary<tosa::EqualOp>(node.builder(), node.loc(), r, zero, i1));
    adjust = binary<tosa::LogicalAndOp>(node.builder(), node.loc(), signsDiffer, nonZero);
  }
  return select(node.builder(), node.loc(), adjust,
                binary<tosa::SubOp>(node.builder(), node.loc(), q,
                                    scalarLike(node.builder(), node.loc(), q, 1)),
                q);
}

llvm::Error convertBinary(OpContext &node, HostBinary kind) {
  // TF.js divides int32 by int32 rounding down (tf.div is floorDiv there),
  // where TF truncates; Kiln follows TF.js.
  if (kind == HostBinary::RealDiv && node.dtype(0) == DType::I32)
    kind = HostBinary::FloorDiv;
  // And TF.js's floorDiv gives int32 whatever its operands (TF: their type).
  bool toInt = kind == HostBinary::FloorDiv && node.dtype(0) == DType::F32;
  if (node.dtype(0) != node.dtype(1))
    return node.fail("operands have different element types (" + dtypeName(node.dtype(0)) +
                     " and " + dtypeName(node.dtype(1)) + ")");
  auto shape = broadcastShapes(node.shape(0), node.shape(1));
  if (!shape)
    return node.fail(llvm::toString(shape.takeError()));
  if (node.allInputsFoldable()) {
    auto folded = foldBinary(kind, *node.literal(0), *node.literal(1));
    if (!folded)
      return node.fail(llvm::toString(folded.takeError()));
    node.setLiteral(0, toInt ? folded->castTo(DType::I32) : std::move(*folded));
    return llvm::Error::success();
  }
  bool isFloat = node.dtype(0) == DType::F32;
  if (node.dtype(0) == DType::Bool)
    return node.fail("arithmetic on bool tensors is not supported");
  int64_t rank = shape->size();
  Value a = node.valueWithRank(0, rank), b = node.valueWithRank(1, rank);
  Value out;
  switch (kind) {
  case HostBinary::Add:
    out = binary<tosa::AddOp>(node.builder(), node.loc(), a, b);
    break;
  case HostBinary::Sub:
    out = binary<tosa::SubOp>(node.builder(), node.loc(), a, b);
    break;
  case HostBinary::Mul:
    out = mul(node.builder(), node.loc(), a, b);
    break;
  case HostBinary::Maximum:
    out = binary<tosa::MaximumOp>(node.builder(), node.loc(), a, b);
    break;
  case HostBinary::Minimum:
    out = binary<tosa::MinimumOp>(node.builder(), node.loc(), a, b);
    break;
  case HostBinary::SquaredDifference: {
    Value d = binary<tosa::SubOp>(node.builder(), node.loc(), a, b);
    out = mul(node.builder(), node.loc(), d, d);
    break;
  }
  case HostBinary::RealDiv:
    out = isFloat ? divide(node, a, b, node.literal(1))
                  : binary<tosa::IntDivOp>(node.builder(), node.loc(), a, b);
    break;
  case HostBinary::FloorDiv:
    // The floor is exact, so TOSA's rounding cast to int32 is too.
    out = isFloat ? castElements(node.builder(), node.loc(),
                                 unary<tosa::FloorOp>(node.builder(), node.loc(),
                                                      divide(node, a, b, node.literal(1))),
                                 node.builder().getI32Type())
                  : floorDivInt(node, a, b, node.literal(1));
    break;
  case HostBinary::FloorMod: {
    Value q = isFloat ? unary<tosa::FloorOp>(node.builder(), node.loc(),
                                             divide(node, a, b, node.literal(1)))
                      : floorDivInt(node, a, b, node.literal(1));
    out = binary<tosa::SubOp>(node.builder(), node.loc(), a, mul(node.builder(), node.loc(), q, b));
    break;
  }
  }
  node.setValue(0, out);
  return llvm::Error::success();
}

template <HostBinary Kind> llvm::Error convert(OpContext &node) {
  return convertBinary(node, Kind);
}

// BiasAdd: the bias runs along the channel dimension: the last, or
// dimension 1 of a 4-D NCHW input (the bias as [C, 1, 1]).
llvm::Error convertBiasAdd(OpContext &node) {
  std::string format = node.attrs().getString("data_format", "NHWC");
  if (format == "NCHW") {
    if (node.rank(0) != 4 || node.rank(1) != 1 || node.shape(1)[0] != node.shape(0)[1])
      return node.fail("an NCHW BiasAdd takes a 4-D input and a bias of its dimension 1, not " +
                       shapeString(node.shape(0)) + " and " + shapeString(node.shape(1)));
    if (node.dtype(0) != node.dtype(1))
      return node.fail("the bias's type differs from the input's");
    node.setValue(0, binary<tosa::AddOp>(node.builder(), node.loc(), node.value(0),
                                         reshape(node.builder(), node.loc(), node.value(1),
                                                 {1, node.shape(1)[0], 1, 1})));
    return llvm::Error::success();
  }
  if (format != "NHWC")
    return node.fail("data_format " + format + " is not supported (NHWC or NCHW)");
  if (node.rank(1) != 1 || node.rank(0) < 1 || node.shape(1)[0] != node.shape(0).back())
    return node.fail("the bias " + shapeString(node.shape(1)) + " does not match the last " +
                     "dimension of " + shapeString(node.shape(0)));
  return convertBinary(node, HostBinary::Add);
}

// AddN: a sum of equally shaped tensors (grappler's rewrite of add chains).
llvm::Error convertAddN(OpContext &node) {
  for (int i = 1; i < node.numInputs(); ++i)
    if (node.shape(i) != node.shape(0) || node.dtype(i) != node.dtype(0))
      return node.fail("input " + llvm::Twine(i) + " " + shapeString(node.shape(i)) +
                       " differs from input 0 " + shapeString(node.shape(0)));
  if (node.dtype(0) == DType::Bool)
    return node.fail("AddN of bool tensors is not supported");
  Value sum = node.value(0);
  for (int i = 1; i < node.numInputs(); ++i)
    sum = binary<tosa::AddOp>(node.builder(), node.loc(), sum, node.value(i));
  node.setValue(0, sum);
  return llvm::Error::success();
}

llvm::Error requireFloat(OpContext &node) {
  if (node.dtype(0) != DType::F32)
    return node.fail("only float32 operands are supported, not " + dtypeName(node.dtype(0)));
  return llvm::Error::success();
}

template <typename OpTy> llvm::Error convertUnary(OpContext &node) {
  if (llvm::Error err = requireFloat(node))
    return err;
  // Floor and Ceil of known values fold, exactly: shape arithmetic such as
  // pad_to_bounding_box's ceil(size / stride) (faceboxes).
  constexpr bool rounds = std::is_same_v<OpTy, tosa::FloorOp> || std::is_same_v<OpTy, tosa::CeilOp>;
  if (const Literal *h = node.literal(0); rounds && h && h->size() <= kMaxFoldElements) {
    std::vector<float> values;
    for (float v : h->floats())
      values.push_back(std::is_same_v<OpTy, tosa::FloorOp> ? std::floor(v) : std::ceil(v));
    node.setLiteral(0,
                    Literal::fromFloats(std::vector<int64_t>(h->shape().begin(), h->shape().end()),
                                        std::move(values)));
    return llvm::Error::success();
  }
  node.setValue(0, unary<OpTy>(node.builder(), node.loc(), node.value(0)));
  return llvm::Error::success();
}

llvm::Error convertSqrt(OpContext &node) {
  if (llvm::Error err = requireFloat(node))
    return err;
  Value x = node.value(0);
  node.setValue(0, binary<tosa::PowOp>(node.builder(), node.loc(), x,
                                       scalarLike(node.builder(), node.loc(), x, 0.5)));
  return llvm::Error::success();
}

llvm::Error convertSquare(OpContext &node) {
  Value x = node.value(0);
  node.setValue(0, mul(node.builder(), node.loc(), x, x));
  return llvm::Error::success();
}

llvm::Error convertAbs(OpContext &node) {
  if (node.dtype(0) == DType::Bool)
    return node.fail("Abs of a bool tensor is not supported");
  node.setValue(0, unary<tosa::AbsOp>(node.builder(), node.loc(), node.value(0)));
  return llvm::Error::success();
}

llvm::Error convertNeg(OpContext &node) {
  node.setValue(0, unary<tosa::NegateOp>(node.builder(), node.loc(), node.value(0)));
  return llvm::Error::success();
}

llvm::Error convertCast(OpContext &node) {
  std::optional<DType> to = node.attrs().getType("DstT");
  if (!to)
    return node.fail("no DstT attribute (the type to cast to)");
  DType from = node.dtype(0);
  if (const Literal *h = node.literal(0); h && h->size() <= kMaxFoldElements) {
    node.setLiteral(0, h->castTo(*to));
    return llvm::Error::success();
  }
  Value x = node.value(0);
  Type target = mlirTypeOf(node.builder().getContext(), *to), i1 = node.builder().getI1Type();
  Value out = x;
  if (from == *to) {
    // nothing to do
  } else if (*to == DType::Bool) {
    Value isZero = binary<tosa::EqualOp>(node.builder(), node.loc(), x,
                                         scalarLike(node.builder(), node.loc(), x, 0), i1);
    out = node.create<tosa::LogicalNotOp>(typeOf(isZero), isZero);
  } else if (from == DType::F32) {
    Value nonNegative = binary<tosa::GreaterEqualOp>(
        node.builder(), node.loc(), x, scalarLike(node.builder(), node.loc(), x, 0), i1);
    Value truncated = select(node.builder(), node.loc(), nonNegative,
                             unary<tosa::FloorOp>(node.builder(), node.loc(), x),
                             unary<tosa::CeilOp>(node.builder(), node.loc(), x));
    out = castElements(node.builder(), node.loc(), truncated, target);
  } else {
    out = castElements(node.builder(), node.loc(), x, target);
  }
  node.setValue(0, out);
  return llvm::Error::success();
}

} // namespace

void registerElementwiseOps(OpTable &table) {
  table.add("Add", convert<HostBinary::Add>, 2, 2);
  table.add("AddV2", convert<HostBinary::Add>, 2, 2);
  table.add("Sub", convert<HostBinary::Sub>, 2, 2);
  table.add("Mul", convert<HostBinary::Mul>, 2, 2);
  table.add("RealDiv", convert<HostBinary::RealDiv>, 2, 2);
  table.add("Div", convert<HostBinary::RealDiv>, 2, 2);
  table.add("FloorDiv", convert<HostBinary::FloorDiv>, 2, 2);
  table.add("FloorMod", convert<HostBinary::FloorMod>, 2, 2);
  table.add("Mod", convert<HostBinary::FloorMod>, 2, 2); // TF.js's tf.mod floors, as FloorMod
  table.add("Maximum", convert<HostBinary::Maximum>, 2, 2);
  table.add("Minimum", convert<HostBinary::Minimum>, 2, 2);
  table.add("SquaredDifference", convert<HostBinary::SquaredDifference>, 2, 2);
  table.add("BiasAdd", convertBiasAdd, 2, 2);
  table.add("AddN", convertAddN, 1, -1);
  table.add("Sqrt", convertSqrt, 1, 1);
  table.add("Rsqrt", convertUnary<tosa::RsqrtOp>, 1, 1);
  table.add("Exp", convertUnary<tosa::ExpOp>, 1, 1);
  table.add("Log", convertUnary<tosa::LogOp>, 1, 1);
  table.add("Floor", convertUnary<tosa::FloorOp>, 1, 1);
  table.add("Ceil", convertUnary<tosa::CeilOp>, 1, 1);
  table.add("Reciprocal", convertUnary<tosa::ReciprocalOp>, 1, 1);
  table.add("Abs", convertAbs, 1, 1);
  table.add("Square", convertSquare, 1, 1);
  table.add("Neg", convertNeg, 1, 1);
  table.add("Cast", convertCast, 1, 1);
}

} // namespace kiln::tfjs_import
