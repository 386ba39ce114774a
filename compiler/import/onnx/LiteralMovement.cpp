//===- LiteralMovement.cpp - transposes, slices, gathers of literals ------===//
//
// Byte copies for every element type: weights re-laid out here stay
// bit-exact.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/Literal.h"

#include <cstring>

namespace kiln::onnx_import {

Literal Literal::reshaped(std::vector<int64_t> shape) const {
  Literal out = *this;
  out.shape_ = std::move(shape);
  return out;
}

// Copies out[i0..] = src[offset + sum(i_d * strides[d])] for all output
// indices; the innermost dimension runs in a tight loop.
static void copyStrided(const char *src, char *dst, size_t esize, llvm::ArrayRef<int64_t> outShape,
                        llvm::ArrayRef<int64_t> strides, int64_t offset) {
  int64_t rank = outShape.size();
  if (numElements(outShape) == 0)
    return;
  if (rank == 0) {
    std::memcpy(dst, src + offset * esize, esize);
    return;
  }
  std::vector<int64_t> index(rank, 0);
  int64_t inner = outShape[rank - 1], innerStride = strides[rank - 1];
  for (;;) {
    int64_t base = offset;
    for (int64_t d = 0; d + 1 < rank; ++d)
      base += index[d] * strides[d];
    if (innerStride == 1) {
      std::memcpy(dst, src + base * esize, inner * esize);
      dst += inner * esize;
    } else {
      for (int64_t i = 0; i < inner; ++i, dst += esize)
        std::memcpy(dst, src + (base + i * innerStride) * esize, esize);
    }
    int64_t d = rank - 2;
    for (; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

Literal Literal::strided(llvm::ArrayRef<int64_t> start, llvm::ArrayRef<int64_t> step,
                         llvm::ArrayRef<int64_t> outShape) const {
  if (splat_)
    return splat(dtype_, outShape.vec(), *data_);
  std::vector<int64_t> inStrides = rowMajorStrides(shape_);
  std::vector<int64_t> strides(rank());
  int64_t offset = 0;
  for (int64_t d = 0; d < rank(); ++d) {
    strides[d] = inStrides[d] * step[d];
    offset += inStrides[d] * start[d];
  }
  size_t esize = dtypeSize(dtype_);
  std::vector<char> out(numElements(outShape) * esize);
  copyStrided(data_->data(), out.data(), esize, outShape, strides, offset);
  return fromBytes(dtype_, outShape.vec(), std::move(out));
}

Literal Literal::transposed(llvm::ArrayRef<int64_t> perm) const {
  std::vector<int64_t> outShape(rank());
  for (int64_t d = 0; d < rank(); ++d)
    outShape[d] = shape_[perm[d]];
  if (splat_)
    return splat(dtype_, outShape, *data_);
  std::vector<int64_t> inStrides = rowMajorStrides(shape_);
  std::vector<int64_t> strides(rank());
  for (int64_t d = 0; d < rank(); ++d)
    strides[d] = inStrides[perm[d]];
  size_t esize = dtypeSize(dtype_);
  std::vector<char> out(size() * esize);
  copyStrided(data_->data(), out.data(), esize, outShape, strides, 0);
  return fromBytes(dtype_, std::move(outShape), std::move(out));
}

Literal Literal::broadcastTo(llvm::ArrayRef<int64_t> shape) const {
  if (splat_)
    return splat(dtype_, shape.vec(), *data_);
  std::vector<int64_t> strides = import::broadcastStrides(shape_, shape.size());
  size_t esize = dtypeSize(dtype_);
  std::vector<char> out(numElements(shape) * esize);
  copyStrided(data_->data(), out.data(), esize, shape, strides, 0);
  return fromBytes(dtype_, shape.vec(), std::move(out));
}

Literal Literal::concat(llvm::ArrayRef<const Literal *> parts, int64_t axis) {
  const Literal &first = *parts.front();
  std::vector<int64_t> shape = first.shape_;
  shape[axis] = 0;
  for (const Literal *part : parts)
    shape[axis] += part->shape_[axis];
  size_t esize = dtypeSize(first.dtype_);
  int64_t outer = numElements(llvm::ArrayRef<int64_t>(shape).take_front(axis));
  std::vector<char> out(numElements(shape) * esize);
  // Row-major: each part contributes one contiguous run per outer index.
  int64_t outRow = numElements(llvm::ArrayRef<int64_t>(shape).drop_front(axis));
  int64_t column = 0;
  for (const Literal *part : parts) {
    std::vector<char> bytes = part->bytes();
    int64_t partRow = numElements(llvm::ArrayRef<int64_t>(part->shape_).drop_front(axis));
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(out.data() + (o * outRow + column) * esize, bytes.data() + o * partRow * esize,
                  partRow * esize);
    column += partRow;
  }
  return fromBytes(first.dtype_, std::move(shape), std::move(out));
}

Literal Literal::gather(llvm::ArrayRef<int64_t> indices, llvm::ArrayRef<int64_t> indexShape,
                        int64_t axis) const {
  std::vector<int64_t> shape(shape_.begin(), shape_.begin() + axis);
  shape.insert(shape.end(), indexShape.begin(), indexShape.end());
  shape.insert(shape.end(), shape_.begin() + axis + 1, shape_.end());
  if (splat_)
    return splat(dtype_, shape, *data_);
  size_t esize = dtypeSize(dtype_);
  int64_t outer = numElements(llvm::ArrayRef<int64_t>(shape_).take_front(axis));
  int64_t inner = numElements(llvm::ArrayRef<int64_t>(shape_).drop_front(axis + 1));
  int64_t dim = shape_[axis];
  std::vector<char> out(numElements(shape) * esize);
  char *dst = out.data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t index : indices) {
      std::memcpy(dst, data_->data() + ((o * dim + index) * inner) * esize, inner * esize);
      dst += inner * esize;
    }
  return fromBytes(dtype_, std::move(shape), std::move(out));
}

} // namespace kiln::onnx_import
