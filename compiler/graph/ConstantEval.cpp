//===- ConstantEval.cpp - evaluate elementwise TOSA ops on constants ------===//
#include "compiler/graph/ConstantEval.h"

#include "compiler/graph/ConstantUtils.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;

namespace kiln {
namespace {

template <typename T> using ElementFn = std::function<std::optional<T>(const T *)>;

// For each element of `outShape`, the flat index of the element of an
// operand of `inShape` that numpy broadcasting reads there.
std::vector<int64_t> broadcastIndices(ArrayRef<int64_t> outShape, ArrayRef<int64_t> inShape) {
  int64_t rank = outShape.size();
  SmallVector<int64_t> padded(rank - inShape.size(), 1);
  padded.append(inShape.begin(), inShape.end());
  SmallVector<int64_t> strides = rowMajorStrides(padded);
  for (int64_t d = 0; d < rank; ++d)
    if (padded[d] == 1)
      strides[d] = 0;
  int64_t count = 1;
  for (int64_t size : outShape)
    count *= size;
  std::vector<int64_t> indices(count);
  SmallVector<int64_t> index(rank, 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    indices[i] = offset;
    for (int64_t d = rank - 1; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < outShape[d])
        break;
      offset -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return indices;
}

ElementFn<double> floatFunction(Operation *op) {
  using V = std::optional<double>;
  if (isa<tosa::AddOp>(op))
    return [](const double *x) -> V { return x[0] + x[1]; };
  if (isa<tosa::SubOp>(op))
    return [](const double *x) -> V { return x[0] - x[1]; };
  if (isa<tosa::MulOp>(op))
    return [](const double *x) -> V { return x[0] * x[1]; };
  if (isa<tosa::PowOp>(op))
    return [](const double *x) -> V { return std::pow(x[0], x[1]); };
  if (isa<tosa::MaximumOp>(op))
    return [](const double *x) -> V { return std::max(x[0], x[1]); };
  if (isa<tosa::MinimumOp>(op))
    return [](const double *x) -> V { return std::min(x[0], x[1]); };
  if (isa<tosa::ReciprocalOp>(op))
    return [](const double *x) -> V { return 1.0 / x[0]; };
  if (isa<tosa::NegateOp>(op))
    return [](const double *x) -> V { return -x[0]; };
  if (isa<tosa::AbsOp>(op))
    return [](const double *x) -> V { return std::fabs(x[0]); };
  if (isa<tosa::ExpOp>(op))
    return [](const double *x) -> V { return std::exp(x[0]); };
  if (isa<tosa::LogOp>(op))
    return [](const double *x) -> V { return std::log(x[0]); };
  if (isa<tosa::RsqrtOp>(op))
    return [](const double *x) -> V { return 1.0 / std::sqrt(x[0]); };
  if (isa<tosa::FloorOp>(op))
    return [](const double *x) -> V { return std::floor(x[0]); };
  if (isa<tosa::CeilOp>(op))
    return [](const double *x) -> V { return std::ceil(x[0]); };
  if (isa<tosa::SigmoidOp>(op))
    return [](const double *x) -> V { return 1.0 / (1.0 + std::exp(-x[0])); };
  if (isa<tosa::TanhOp>(op))
    return [](const double *x) -> V { return std::tanh(x[0]); };
  if (auto clamp = dyn_cast<tosa::ClampOp>(op)) {
    double lo = clamp.getMinFp().convertToDouble(), hi = clamp.getMaxFp().convertToDouble();
    return [lo, hi](const double *x) -> V { return std::min(std::max(x[0], lo), hi); };
  }
  return nullptr;
}

ElementFn<int64_t> intFunction(Operation *op) {
  using V = std::optional<int64_t>;
  // Wrapping arithmetic: done in uint64 so that overflow is defined.
  auto wrap = [](uint64_t v) { return static_cast<int64_t>(v); };
  if (isa<tosa::AddOp>(op))
    return [=](const int64_t *x) -> V { return wrap(uint64_t(x[0]) + uint64_t(x[1])); };
  if (isa<tosa::SubOp>(op))
    return [=](const int64_t *x) -> V { return wrap(uint64_t(x[0]) - uint64_t(x[1])); };
  if (isa<tosa::MulOp>(op))
    return [=](const int64_t *x) -> V { return wrap(uint64_t(x[0]) * uint64_t(x[1])); };
  if (isa<tosa::IntDivOp>(op))
    return [](const int64_t *x) -> V {
      if (x[1] == 0 || (x[1] == -1 && x[0] == std::numeric_limits<int32_t>::min()))
        return std::nullopt;
      return x[0] / x[1]; // truncates toward zero, as TOSA's int_div
    };
  if (isa<tosa::MaximumOp>(op))
    return [](const int64_t *x) -> V { return std::max(x[0], x[1]); };
  if (isa<tosa::MinimumOp>(op))
    return [](const int64_t *x) -> V { return std::min(x[0], x[1]); };
  if (isa<tosa::NegateOp>(op))
    return [=](const int64_t *x) -> V { return wrap(0 - uint64_t(x[0])); };
  if (isa<tosa::AbsOp>(op))
    return [=](const int64_t *x) -> V { return x[0] < 0 ? wrap(0 - uint64_t(x[0])) : x[0]; };
  if (auto clamp = dyn_cast<tosa::ClampOp>(op)) {
    int64_t lo = clamp.getMinInt(), hi = clamp.getMaxInt();
    return [lo, hi](const int64_t *x) -> V { return std::min(std::max(x[0], lo), hi); };
  }
  return nullptr;
}

// Applies `fn` elementwise with broadcasting; `inputs` are already read.
template <typename T>
std::optional<std::vector<T>> applyElementwise(const ElementFn<T> &fn, ShapedType resultType,
                                               ArrayRef<ElementsAttr> operands,
                                               ArrayRef<std::vector<T>> inputs) {
  std::vector<std::vector<int64_t>> indices;
  for (ElementsAttr operand : operands)
    indices.push_back(broadcastIndices(resultType.getShape(), operand.getShapedType().getShape()));
  int64_t count = resultType.getNumElements();
  std::vector<T> result(count);
  SmallVector<T, 3> args(inputs.size());
  for (int64_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < inputs.size(); ++k)
      args[k] = inputs[k][indices[k][i]];
    std::optional<T> value = fn(args.data());
    if (!value)
      return std::nullopt;
    result[i] = *value;
  }
  return result;
}

ElementsAttr evaluateCast(ShapedType resultType, ElementsAttr input) {
  Type from = input.getShapedType().getElementType(), to = resultType.getElementType();
  if (isa<FloatType>(to)) {
    std::optional<std::vector<double>> values = readAsDoubles(input);
    return values ? makeFloatConstant(resultType, *values) : nullptr;
  }
  auto toInt = dyn_cast<IntegerType>(to);
  if (!toInt)
    return nullptr;
  std::vector<int64_t> out;
  if (isa<FloatType>(from)) {
    std::optional<std::vector<double>> values = readAsDoubles(input);
    if (!values)
      return nullptr;
    // TOSA: round to nearest (ties to even), saturate to the integer range.
    unsigned width = toInt.getWidth();
    double lo = width == 1 ? 0 : -std::ldexp(1.0, width - 1);
    double hi = width == 1 ? 1 : std::ldexp(1.0, width - 1) - 1;
    for (double v : *values) {
      if (std::isnan(v))
        return nullptr;
      if (width == 1)
        out.push_back(v != 0);
      else
        out.push_back(static_cast<int64_t>(std::min(std::max(std::nearbyint(v), lo), hi)));
    }
  } else {
    std::optional<std::vector<int64_t>> values = readAsInts(input);
    if (!values)
      return nullptr;
    out = std::move(*values);
    if (toInt.getWidth() == 1)
      for (int64_t &v : out)
        v = v != 0;
  }
  return makeIntConstant(resultType, out);
}

} // namespace

bool isEvaluableOp(Operation *op) {
  return isa<tosa::ReshapeOp, tosa::TransposeOp, tosa::CastOp>(op) || floatFunction(op) ||
         intFunction(op);
}

ElementsAttr evaluateConstantOp(Operation *op, ArrayRef<ElementsAttr> operands) {
  if (op->getNumResults() != 1 || operands.size() != op->getNumOperands())
    return nullptr;
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!resultType || !resultType.hasStaticShape())
    return nullptr;

  if (isa<tosa::ReshapeOp>(op))
    return reshapeConstant(operands[0], resultType);
  if (isa<tosa::TransposeOp>(op)) {
    std::optional<std::vector<int64_t>> perm = readAsInts(operands[1]);
    if (!perm)
      return nullptr;
    ElementsAttr result = transposeConstant(operands[0], *perm);
    return result && result.getType() == resultType ? result : nullptr;
  }
  if (isa<tosa::CastOp>(op))
    return evaluateCast(resultType, operands[0]);

  // Quantized or shifted variants have semantics beyond plain arithmetic.
  if (op->getAttr("quantization_info"))
    return nullptr;
  if (auto mul = dyn_cast<tosa::MulOp>(op); mul && mul.getShift() != 0)
    return nullptr;
  for (ElementsAttr operand : operands) {
    ShapedType type = operand.getShapedType();
    if (type.getElementType() != resultType.getElementType() ||
        type.getRank() > resultType.getRank())
      return nullptr;
    // Each dimension, aligned to the right, must broadcast to the result's.
    int64_t offset = resultType.getRank() - type.getRank();
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.getDimSize(d) != 1 && type.getDimSize(d) != resultType.getDimSize(d + offset))
        return nullptr;
  }

  if (isa<FloatType>(resultType.getElementType())) {
    ElementFn<double> fn = floatFunction(op);
    if (!fn)
      return nullptr;
    std::vector<std::vector<double>> inputs;
    for (ElementsAttr operand : operands) {
      std::optional<std::vector<double>> values = readAsDoubles(operand);
      if (!values)
        return nullptr;
      inputs.push_back(std::move(*values));
    }
    std::optional<std::vector<double>> result =
        applyElementwise<double>(fn, resultType, operands, inputs);
    return result ? makeFloatConstant(resultType, *result) : nullptr;
  }
  if (auto intType = dyn_cast<IntegerType>(resultType.getElementType());
      intType && intType.getWidth() > 1) {
    ElementFn<int64_t> fn = intFunction(op);
    if (!fn)
      return nullptr;
    std::vector<std::vector<int64_t>> inputs;
    for (ElementsAttr operand : operands) {
      std::optional<std::vector<int64_t>> values = readAsInts(operand);
      if (!values)
        return nullptr;
      inputs.push_back(std::move(*values));
    }
    std::optional<std::vector<int64_t>> result =
        applyElementwise<int64_t>(fn, resultType, operands, inputs);
    return result ? makeIntConstant(resultType, *result) : nullptr;
  }
  return nullptr;
}

} // namespace kiln
