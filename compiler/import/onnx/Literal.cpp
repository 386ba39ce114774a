//===- Literal.cpp - tensors the ONNX importer knows the contents of ------===//
#include "compiler/import/onnx/Literal.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

namespace kiln::onnx_import {

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

size_t dtypeSize(int32_t dtype) {
  switch (dtype) {
  case kBool:
  case kInt8:
  case kUInt8:
    return 1;
  case kInt16:
  case kUInt16:
  case kFloat16:
  case kBFloat16:
    return 2;
  case kFloat:
  case kInt32:
  case kUInt32:
    return 4;
  case kDouble:
  case kInt64:
  case kUInt64:
    return 8;
  default:
    return 0;
  }
}

llvm::StringRef dtypeName(int32_t dtype) {
  switch (dtype) {
  case kFloat:
    return "float";
  case kUInt8:
    return "uint8";
  case kInt8:
    return "int8";
  case kUInt16:
    return "uint16";
  case kInt16:
    return "int16";
  case kInt32:
    return "int32";
  case kInt64:
    return "int64";
  case kString:
    return "string";
  case kBool:
    return "bool";
  case kFloat16:
    return "float16";
  case kDouble:
    return "double";
  case kUInt32:
    return "uint32";
  case kUInt64:
    return "uint64";
  case kBFloat16:
    return "bfloat16";
  default:
    return "unknown type";
  }
}

bool isFloatDType(int32_t dtype) {
  return dtype == kFloat || dtype == kFloat16 || dtype == kDouble || dtype == kBFloat16;
}

int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Element conversions
//===----------------------------------------------------------------------===//

static const llvm::fltSemantics &halfSemantics(int32_t dtype) {
  return dtype == kBFloat16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf();
}

static double loadDouble(int32_t dtype, const char *p) {
  switch (dtype) {
  case kFloat: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case kDouble: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case kFloat16:
  case kBFloat16: {
    uint16_t bits;
    std::memcpy(&bits, p, 2);
    llvm::APFloat f(halfSemantics(dtype), llvm::APInt(16, bits));
    return f.convertToDouble();
  }
  default:
    break;
  }
  int64_t v = 0;
  switch (dtype) {
  case kBool:
  case kUInt8:
    v = *reinterpret_cast<const uint8_t *>(p);
    break;
  case kInt8:
    v = *reinterpret_cast<const int8_t *>(p);
    break;
  case kInt16: {
    int16_t x;
    std::memcpy(&x, p, 2);
    v = x;
    break;
  }
  case kUInt16: {
    uint16_t x;
    std::memcpy(&x, p, 2);
    v = x;
    break;
  }
  case kInt32: {
    int32_t x;
    std::memcpy(&x, p, 4);
    v = x;
    break;
  }
  case kUInt32: {
    uint32_t x;
    std::memcpy(&x, p, 4);
    v = x;
    break;
  }
  case kInt64:
  case kUInt64:
    std::memcpy(&v, p, 8);
    break;
  }
  return static_cast<double>(v);
}

static int64_t loadInt(int32_t dtype, const char *p) {
  if (isFloatDType(dtype))
    return static_cast<int64_t>(loadDouble(dtype, p)); // truncates, as ONNX Cast
  if (dtype == kInt64 || dtype == kUInt64) {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  return static_cast<int64_t>(loadDouble(dtype, p));
}

template <typename T> static void storeAs(char *p, T v) { std::memcpy(p, &v, sizeof(T)); }

static void storeInt(int32_t dtype, char *p, int64_t v) {
  switch (dtype) {
  case kBool:
    return storeAs<uint8_t>(p, v != 0);
  case kUInt8:
    return storeAs<uint8_t>(p, v);
  case kInt8:
    return storeAs<int8_t>(p, v);
  case kInt16:
    return storeAs<int16_t>(p, v);
  case kUInt16:
    return storeAs<uint16_t>(p, v);
  case kInt32:
    return storeAs<int32_t>(p, v);
  case kUInt32:
    return storeAs<uint32_t>(p, v);
  case kInt64:
  case kUInt64:
    return storeAs<int64_t>(p, v);
  default:
    break;
  }
}

static void storeDouble(int32_t dtype, char *p, double v) {
  switch (dtype) {
  case kFloat:
    return storeAs<float>(p, static_cast<float>(v));
  case kDouble:
    return storeAs<double>(p, v);
  case kFloat16:
  case kBFloat16: {
    llvm::APFloat f(v);
    bool lost;
    f.convert(halfSemantics(dtype), llvm::APFloat::rmNearestTiesToEven, &lost);
    return storeAs<uint16_t>(p, f.bitcastToAPInt().getZExtValue());
  }
  case kBool:
    return storeAs<uint8_t>(p, v != 0);
  default:
    return storeInt(dtype, p, static_cast<int64_t>(v));
  }
}

//===----------------------------------------------------------------------===//
// Construction
//===----------------------------------------------------------------------===//

Literal::Literal(int32_t dtype, std::vector<int64_t> shape, std::vector<char> bytes, bool splat)
    : dtype_(dtype), shape_(std::move(shape)),
      data_(std::make_shared<const std::vector<char>>(std::move(bytes))), splat_(splat) {}

Literal Literal::fromBytes(int32_t dtype, std::vector<int64_t> shape, std::vector<char> bytes) {
  return Literal(dtype, std::move(shape), std::move(bytes), /*splat=*/false);
}

Literal Literal::splat(int32_t dtype, std::vector<int64_t> shape, std::vector<char> element) {
  return Literal(dtype, std::move(shape), std::move(element), /*splat=*/true);
}

Literal Literal::fromInts(int32_t dtype, std::vector<int64_t> shape,
                          llvm::ArrayRef<int64_t> values) {
  size_t esize = dtypeSize(dtype);
  std::vector<char> bytes(values.size() * esize);
  for (size_t i = 0; i < values.size(); ++i) {
    if (isFloatDType(dtype))
      storeDouble(dtype, bytes.data() + i * esize, static_cast<double>(values[i]));
    else
      storeInt(dtype, bytes.data() + i * esize, values[i]);
  }
  return fromBytes(dtype, std::move(shape), std::move(bytes));
}

Literal Literal::fromDoubles(int32_t dtype, std::vector<int64_t> shape,
                             llvm::ArrayRef<double> values) {
  size_t esize = dtypeSize(dtype);
  std::vector<char> bytes(values.size() * esize);
  for (size_t i = 0; i < values.size(); ++i)
    storeDouble(dtype, bytes.data() + i * esize, values[i]);
  return fromBytes(dtype, std::move(shape), std::move(bytes));
}

// Copies a repeated proto field into little-endian bytes of `dtype`.
template <typename Field>
static std::vector<char> packField(const Field &field, int32_t dtype, bool asDouble) {
  size_t esize = dtypeSize(dtype);
  std::vector<char> bytes(field.size() * esize);
  for (int i = 0; i < field.size(); ++i) {
    char *p = bytes.data() + i * esize;
    if (dtype == kFloat16 || dtype == kBFloat16)
      storeAs<uint16_t>(p, static_cast<uint16_t>(field.Get(i))); // bits, not values
    else if (asDouble)
      storeDouble(dtype, p, static_cast<double>(field.Get(i)));
    else
      storeInt(dtype, p, static_cast<int64_t>(field.Get(i)));
  }
  return bytes;
}

static llvm::Expected<std::vector<char>> readExternalData(const onnx::TensorProto &tensor,
                                                          llvm::StringRef baseDir) {
  std::string location;
  uint64_t offset = 0;
  int64_t length = -1;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offset = std::stoull(entry.value());
    else if (entry.key() == "length")
      length = std::stoll(entry.value());
  }
  if (location.empty() || llvm::sys::path::is_absolute(location) ||
      llvm::StringRef(location).contains(".."))
    return makeError("initializer '" + tensor.name() + "' has external data at '" + location +
                     "', which must be a relative path beside the model");
  llvm::SmallString<256> path(baseDir);
  llvm::sys::path::append(path, location);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("initializer '" + tensor.name() + "': cannot read external data '" + path +
                     "': " + buffer.getError().message());
  llvm::StringRef data = (*buffer)->getBuffer();
  if (offset > data.size())
    return makeError("initializer '" + tensor.name() + "': external data offset " +
                     llvm::Twine(offset) + " is past the end of '" + path + "'");
  data = data.drop_front(offset);
  if (length >= 0)
    data = data.take_front(length);
  return std::vector<char>(data.begin(), data.end());
}

llvm::Expected<Literal> Literal::fromTensorProto(const onnx::TensorProto &tensor,
                                                 llvm::StringRef baseDir) {
  const std::string &name = tensor.name();
  int32_t dtype = tensor.data_type();
  size_t esize = dtypeSize(dtype);
  if (esize == 0)
    return makeError("tensor '" + name + "' has element type " + dtypeName(dtype) +
                     ", which Kiln does not support");
  if (tensor.has_segment())
    return makeError("tensor '" + name + "' is segmented, which Kiln does not support");
  std::vector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  for (int64_t d : shape)
    if (d < 0)
      return makeError("tensor '" + name + "' has a negative dimension in its shape " +
                       shapeString(shape));

  std::vector<char> bytes;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto external = readExternalData(tensor, baseDir);
    if (!external)
      return external.takeError();
    bytes = std::move(*external);
  } else if (tensor.has_raw_data()) {
    bytes.assign(tensor.raw_data().begin(), tensor.raw_data().end());
  } else {
    switch (dtype) {
    case kFloat:
      bytes = packField(tensor.float_data(), dtype, true);
      break;
    case kDouble:
      bytes = packField(tensor.double_data(), dtype, true);
      break;
    case kInt64:
      bytes = packField(tensor.int64_data(), dtype, false);
      break;
    case kUInt32:
    case kUInt64:
      bytes = packField(tensor.uint64_data(), dtype, false);
      break;
    default: // int8/16/32, uint8/16, bool, float16, bfloat16
      bytes = packField(tensor.int32_data(), dtype, false);
      break;
    }
  }
  int64_t count = numElements(shape);
  if (bytes.size() != static_cast<size_t>(count) * esize)
    return makeError("tensor '" + name + "' holds " + llvm::Twine(bytes.size() / esize) +
                     " values, but its shape " + shapeString(shape) + " needs " +
                     llvm::Twine(count));
  return fromBytes(dtype, std::move(shape), std::move(bytes));
}

//===----------------------------------------------------------------------===//
// Access
//===----------------------------------------------------------------------===//

const char *Literal::element(int64_t index) const {
  return data_->data() + (splat_ ? 0 : index * dtypeSize(dtype_));
}

std::vector<char> Literal::bytes() const {
  if (!splat_)
    return *data_;
  size_t esize = dtypeSize(dtype_);
  std::vector<char> out(size() * esize);
  for (int64_t i = 0, e = size(); i < e; ++i)
    std::memcpy(out.data() + i * esize, data_->data(), esize);
  return out;
}

int64_t Literal::intAt(int64_t index) const { return loadInt(dtype_, element(index)); }
double Literal::doubleAt(int64_t index) const { return loadDouble(dtype_, element(index)); }

std::vector<int64_t> Literal::toInts() const {
  std::vector<int64_t> out(size());
  for (int64_t i = 0, e = size(); i < e; ++i)
    out[i] = intAt(i);
  return out;
}

std::vector<double> Literal::toDoubles() const {
  std::vector<double> out(size());
  for (int64_t i = 0, e = size(); i < e; ++i)
    out[i] = doubleAt(i);
  return out;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

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

static std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
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
  int64_t lead = static_cast<int64_t>(shape.size()) - rank();
  std::vector<int64_t> inStrides = rowMajorStrides(shape_);
  std::vector<int64_t> strides(shape.size(), 0);
  for (int64_t d = 0; d < rank(); ++d)
    strides[lead + d] = shape_[d] == 1 ? 0 : inStrides[d];
  size_t esize = dtypeSize(dtype_);
  std::vector<char> out(numElements(shape) * esize);
  copyStrided(data_->data(), out.data(), esize, shape, strides, 0);
  return fromBytes(dtype_, shape.vec(), std::move(out));
}

Literal Literal::castTo(int32_t dtype) const {
  if (dtype == dtype_)
    return *this;
  int64_t count = splat_ ? 1 : size();
  size_t esize = dtypeSize(dtype);
  std::vector<char> out(count * esize);
  for (int64_t i = 0; i < count; ++i) {
    char *p = out.data() + i * esize;
    if (isFloatDType(dtype_) && (isFloatDType(dtype) || dtype == kBool))
      storeDouble(dtype, p, doubleAt(i));
    else if (isFloatDType(dtype))
      storeDouble(dtype, p, static_cast<double>(intAt(i)));
    else
      storeInt(dtype, p, intAt(i));
  }
  return Literal(dtype, shape_, std::move(out), splat_);
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

llvm::Expected<std::vector<int64_t>> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                                     llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return makeError("shapes " + shapeString(a) + " and " + shapeString(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

} // namespace kiln::onnx_import
