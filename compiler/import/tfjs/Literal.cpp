//===- Literal.cpp - tensors the TF.js importer knows the values of -------===//
#include "compiler/import/tfjs/Literal.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kiln::tfjs_import {

bool isTfjsDType(DType dtype) {
  return dtype == DType::F32 || dtype == DType::I32 || dtype == DType::Bool;
}

std::optional<DType> dtypeFromTf(llvm::StringRef name) {
  // TF.js's own reading (operation_mapper's parseDtypeParam): every integer
  // type is int32 and every float type float32 at run time.
  if (name == "DT_FLOAT" || name == "DT_HALF" || name == "DT_DOUBLE")
    return DType::F32;
  if (name == "DT_INT32" || name == "DT_INT64" || name == "DT_INT8" || name == "DT_UINT8")
    return DType::I32;
  if (name == "DT_BOOL")
    return DType::Bool;
  return std::nullopt;
}

Literal Literal::fromFloats(std::vector<int64_t> shape, std::vector<float> values) {
  Literal t;
  t.dtype_ = DType::F32;
  t.shape_ = std::move(shape);
  t.floats_ = std::make_shared<const std::vector<float>>(std::move(values));
  return t;
}

Literal Literal::fromInts(DType dtype, std::vector<int64_t> shape, std::vector<int64_t> values) {
  assert((dtype == DType::I32 || dtype == DType::Bool) && "an integer type TF.js runs");
  Literal t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.ints_ = std::make_shared<const std::vector<int64_t>>(std::move(values));
  return t;
}

Literal Literal::splat(DType dtype, std::vector<int64_t> shape, double value) {
  int64_t n = numElements(shape);
  if (dtype == DType::F32)
    return fromFloats(std::move(shape), std::vector<float>(n, static_cast<float>(value)));
  int64_t v = dtype == DType::Bool ? (value != 0) : static_cast<int64_t>(value);
  return fromInts(dtype, std::move(shape), std::vector<int64_t>(n, v));
}

bool Literal::isSplat() const {
  if (isFloat())
    return std::all_of(floats_->begin(), floats_->end(), [&](float v) {
      return std::memcmp(&v, floats_->data(), sizeof(float)) == 0;
    });
  return std::all_of(ints_->begin(), ints_->end(), [&](int64_t v) { return v == ints_->front(); });
}

double Literal::at(int64_t index) const {
  return isFloat() ? (*floats_)[index] : static_cast<double>((*ints_)[index]);
}

int64_t Literal::intAt(int64_t index) const {
  return isFloat() ? static_cast<int64_t>((*floats_)[index]) : (*ints_)[index];
}

std::vector<int64_t> Literal::toInts() const {
  if (!isFloat())
    return *ints_;
  std::vector<int64_t> out;
  for (float v : *floats_)
    out.push_back(static_cast<int64_t>(v));
  return out;
}

Literal Literal::reshaped(std::vector<int64_t> shape) const {
  Literal t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Literal Literal::remapped(std::vector<int64_t> shape, llvm::ArrayRef<int64_t> source) const {
  if (isFloat()) {
    std::vector<float> out(source.size());
    for (size_t i = 0; i < source.size(); ++i)
      out[i] = (*floats_)[source[i]];
    return fromFloats(std::move(shape), std::move(out));
  }
  std::vector<int64_t> out(source.size());
  for (size_t i = 0; i < source.size(); ++i)
    out[i] = (*ints_)[source[i]];
  return fromInts(dtype_, std::move(shape), std::move(out));
}

// Calls fn(outIndex, inIndex) for every element of a strided view.
template <typename Fn>
static void forEachStrided(llvm::ArrayRef<int64_t> inStrides, llvm::ArrayRef<int64_t> begin,
                           llvm::ArrayRef<int64_t> step, llvm::ArrayRef<int64_t> outShape, Fn fn) {
  int64_t rank = outShape.size(), n = numElements(outShape);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (begin[d] + idx[d] * step[d]) * inStrides[d];
    fn(i, src);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
}

Literal Literal::strided(llvm::ArrayRef<int64_t> begin, llvm::ArrayRef<int64_t> step,
                         llvm::ArrayRef<int64_t> outShape) const {
  std::vector<int64_t> source(numElements(outShape));
  forEachStrided(rowMajorStrides(shape_), begin, step, outShape,
                 [&](int64_t i, int64_t src) { source[i] = src; });
  return remapped(std::vector<int64_t>(outShape.begin(), outShape.end()), source);
}

Literal Literal::transposed(llvm::ArrayRef<int64_t> perm) const {
  std::vector<int64_t> inStrides = rowMajorStrides(shape_), outShape, strides;
  for (int64_t p : perm) {
    outShape.push_back(shape_[p]);
    strides.push_back(inStrides[p]);
  }
  std::vector<int64_t> source(size()), zeros(perm.size(), 0), ones(perm.size(), 1);
  forEachStrided(strides, zeros, ones, outShape, [&](int64_t i, int64_t src) { source[i] = src; });
  return remapped(outShape, source);
}

Literal Literal::broadcastTo(llvm::ArrayRef<int64_t> shape) const {
  if (llvm::ArrayRef<int64_t>(shape_) == shape)
    return *this;
  int64_t rank = shape.size();
  std::vector<int64_t> strides = import::broadcastStrides(shape_, rank);
  std::vector<int64_t> source(numElements(shape)), zeros(rank, 0), ones(rank, 1);
  forEachStrided(strides, zeros, ones, shape, [&](int64_t i, int64_t src) { source[i] = src; });
  return remapped(std::vector<int64_t>(shape.begin(), shape.end()), source);
}

Literal Literal::concat(llvm::ArrayRef<const Literal *> parts, int64_t axis) {
  std::vector<int64_t> shape(parts.front()->shape());
  shape[axis] = 0;
  for (const Literal *p : parts)
    shape[axis] += p->shape()[axis];
  int64_t outer = numElements(llvm::ArrayRef<int64_t>(shape).take_front(axis));
  std::vector<float> floats;
  std::vector<int64_t> ints;
  for (int64_t o = 0; o < outer; ++o)
    for (const Literal *p : parts) {
      int64_t chunk = numElements(p->shape().drop_front(axis));
      if (p->isFloat())
        floats.insert(floats.end(), p->floats().begin() + o * chunk,
                      p->floats().begin() + (o + 1) * chunk);
      else
        ints.insert(ints.end(), p->ints().begin() + o * chunk, p->ints().begin() + (o + 1) * chunk);
    }
  if (parts.front()->isFloat())
    return fromFloats(std::move(shape), std::move(floats));
  return fromInts(parts.front()->dtype(), std::move(shape), std::move(ints));
}

// Two's-complement wrap to the width of `dtype`, as TF's integer kernels do.
static int64_t wrapTo(DType dtype, int64_t v) {
  if (dtype == DType::I32)
    return static_cast<int32_t>(static_cast<uint32_t>(v));
  if (dtype == DType::Bool)
    return v != 0;
  return v;
}

Literal Literal::castTo(DType dtype) const {
  if (dtype == dtype_)
    return *this;
  if (dtype == DType::F32) {
    std::vector<float> out;
    for (int64_t v : *ints_)
      out.push_back(static_cast<float>(v));
    return fromFloats(shape_, std::move(out));
  }
  std::vector<int64_t> out;
  for (int64_t i = 0; i < size(); ++i)
    out.push_back(dtype == DType::Bool ? at(i) != 0 : wrapTo(dtype, intAt(i)));
  return fromInts(dtype, shape_, std::move(out));
}

static double floatOp(HostBinary op, double x, double y) {
  switch (op) {
  case HostBinary::Add:
    return x + y;
  case HostBinary::Sub:
    return x - y;
  case HostBinary::Mul:
    return x * y;
  case HostBinary::RealDiv:
    return x / y;
  case HostBinary::FloorDiv:
    return std::floor(x / y);
  case HostBinary::FloorMod:
    return x - std::floor(x / y) * y;
  case HostBinary::Maximum:
    return std::max(x, y);
  case HostBinary::Minimum:
    return std::min(x, y);
  case HostBinary::SquaredDifference:
    return (x - y) * (x - y);
  }
  return 0;
}

static int64_t floorDiv(int64_t x, int64_t y) {
  int64_t q = x / y;
  return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}

llvm::Expected<Literal> foldBinary(HostBinary op, const Literal &a, const Literal &b) {
  auto shape = broadcastShapes(a.shape(), b.shape());
  if (!shape)
    return shape.takeError();
  Literal x = a.broadcastTo(*shape), y = b.broadcastTo(*shape);
  int64_t n = numElements(*shape);
  if (a.isFloat()) {
    std::vector<float> out(n);
    for (int64_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(floatOp(op, x.floats()[i], y.floats()[i]));
    return Literal::fromFloats(*shape, std::move(out));
  }
  std::vector<int64_t> out(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t p = x.ints()[i], q = y.ints()[i];
    if ((op == HostBinary::FloorDiv || op == HostBinary::FloorMod || op == HostBinary::RealDiv) &&
        q == 0)
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "integer division by zero");
    switch (op) {
    case HostBinary::Add:
      out[i] = p + q;
      break;
    case HostBinary::Sub:
      out[i] = p - q;
      break;
    case HostBinary::Mul:
      out[i] = p * q;
      break;
    case HostBinary::RealDiv: // TF's integer RealDiv truncates
      out[i] = p / q;
      break;
    case HostBinary::FloorDiv:
      out[i] = floorDiv(p, q);
      break;
    case HostBinary::FloorMod:
      out[i] = p - floorDiv(p, q) * q;
      break;
    case HostBinary::Maximum:
      out[i] = std::max(p, q);
      break;
    case HostBinary::Minimum:
      out[i] = std::min(p, q);
      break;
    case HostBinary::SquaredDifference:
      out[i] = (p - q) * (p - q);
      break;
    }
    out[i] = wrapTo(a.dtype(), out[i]);
  }
  return Literal::fromInts(a.dtype(), *shape, std::move(out));
}

} // namespace kiln::tfjs_import
