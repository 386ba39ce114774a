//===- Shapes.cpp - static shapes: sizes, strides, printing, broadcasting -===//
#include "compiler/import/common/Shapes.h"

namespace kiln::import {

int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::optional<int64_t> checkedNumElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  return n;
}

std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

std::vector<int64_t> broadcastStrides(llvm::ArrayRef<int64_t> shape, int64_t rank) {
  int64_t lead = rank - static_cast<int64_t>(shape.size());
  std::vector<int64_t> inStrides = rowMajorStrides(shape), strides(rank, 0);
  for (size_t d = 0; d < shape.size(); ++d)
    strides[lead + d] = shape[d] == 1 ? 0 : inStrides[d];
  return strides;
}

std::string shapeString(llvm::ArrayRef<int64_t> shape, llvm::StringRef separator) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? separator.str() : "") + std::to_string(shape[i]);
  return out + "]";
}

llvm::Expected<std::vector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b, llvm::StringRef separator) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "shapes " + shapeString(a, separator) + " and " +
                                         shapeString(b, separator) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

llvm::Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "axis " + llvm::Twine(axis) + " is out of range for rank " +
                                       llvm::Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

} // namespace kiln::import
