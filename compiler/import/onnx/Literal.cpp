//===- Literal.cpp - tensors the ONNX importer knows the contents of ------===//
#include "compiler/import/onnx/Literal.h"

#include "compiler/support/Error.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

namespace kiln::onnx_import {

template <typename T> static void storeAs(char *p, T v) { std::memcpy(p, &v, sizeof(T)); }

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
    else if ((entry.key() == "offset" && llvm::StringRef(entry.value()).getAsInteger(10, offset)) ||
             (entry.key() == "length" && llvm::StringRef(entry.value()).getAsInteger(10, length)))
      return makeError("initializer '" + tensor.name() + "' has a bad external data " +
                       entry.key() + " '" + entry.value() + "'");
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
  std::optional<int64_t> count = checkedNumElements(shape);
  if (!count)
    return makeError("tensor '" + name + "' has shape " + shapeString(shape) +
                     ", more elements than 64 bits can count");

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
  if (bytes.size() / esize != static_cast<uint64_t>(*count) || bytes.size() % esize)
    return makeError("tensor '" + name + "' holds " + llvm::Twine(bytes.size() / esize) +
                     " values, but its shape " + shapeString(shape) + " needs " +
                     llvm::Twine(*count));
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

} // namespace kiln::onnx_import
