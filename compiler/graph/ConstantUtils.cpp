//===- ConstantUtils.cpp - read and write weights, dense or resource ------===//
#include "compiler/graph/ConstantUtils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;

namespace kiln {

namespace {

// A constant's elements as bytes, each `width` bytes wide (i1 takes a byte).
// A splat holds its one element only, so that a large splat stays small.
struct RawElements {
  unsigned width = 0;
  bool splat = false;
  std::vector<char> data;

  const char *at(int64_t index) const { return data.data() + (splat ? 0 : index * width); }
};

std::optional<unsigned> storageWidth(Type elementType) {
  if (elementType.isInteger(1))
    return 1;
  if (!elementType.isIntOrFloat())
    return std::nullopt;
  unsigned bits = elementType.getIntOrFloatBitWidth();
  if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
    return std::nullopt;
  return bits / 8;
}

std::optional<RawElements> readRaw(Attribute attr) {
  auto typed = dyn_cast_or_null<TypedAttr>(attr);
  auto type = typed ? dyn_cast<ShapedType>(typed.getType()) : ShapedType();
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  Type elementType = type.getElementType();
  std::optional<unsigned> width = storageWidth(elementType);
  if (!width)
    return std::nullopt;
  int64_t count = type.getNumElements();
  RawElements raw;
  raw.width = *width;

  if (auto dense = dyn_cast<DenseIntOrFPElementsAttr>(attr)) {
    raw.splat = dense.isSplat();
    // i1 is bit-packed in DenseElementsAttr: unpack it to one byte each.
    if (elementType.isInteger(1)) {
      for (bool bit : dense.getValues<bool>()) {
        raw.data.push_back(bit ? 1 : 0);
        if (raw.splat)
          break;
      }
      return raw;
    }
    ArrayRef<char> bytes = dense.getRawData();
    raw.data.assign(bytes.begin(), bytes.end());
    return raw;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    const AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> bytes = blob->getData();
    if (static_cast<int64_t>(bytes.size()) != count * *width)
      return std::nullopt;
    raw.data.assign(bytes.begin(), bytes.end());
    return raw;
  }
  return std::nullopt;
}

uint64_t loadBits(const char *p, unsigned width) {
  uint64_t bits = 0;
  std::memcpy(&bits, p, width); // little-endian host, as the blobs are
  return bits;
}

double decodeDouble(Type elementType, const char *p, unsigned width) {
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    if (floatType.isF32()) {
      float value;
      std::memcpy(&value, p, sizeof(value));
      return value;
    }
    if (floatType.isF64()) {
      double value;
      std::memcpy(&value, p, sizeof(value));
      return value;
    }
    llvm::APFloat value(floatType.getFloatSemantics(), llvm::APInt(width * 8, loadBits(p, width)));
    bool lost;
    value.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
    return value.convertToDouble();
  }
  auto intType = cast<IntegerType>(elementType);
  uint64_t bits = loadBits(p, width);
  if (intType.getWidth() == 1 || intType.isUnsigned())
    return static_cast<double>(bits);
  return static_cast<double>(llvm::SignExtend64(bits, intType.getWidth()));
}

int64_t decodeInt(IntegerType intType, const char *p, unsigned width) {
  uint64_t bits = loadBits(p, width);
  if (intType.getWidth() == 1)
    return bits != 0;
  if (intType.isUnsigned())
    return static_cast<int64_t>(bits);
  return llvm::SignExtend64(bits, intType.getWidth());
}

void encodeDouble(FloatType floatType, double value, char *p, unsigned width) {
  if (floatType.isF32()) {
    float narrowed = static_cast<float>(value); // rounds to nearest even
    std::memcpy(p, &narrowed, sizeof(narrowed));
    return;
  }
  if (floatType.isF64()) {
    std::memcpy(p, &value, sizeof(value));
    return;
  }
  llvm::APFloat converted(value);
  bool lost;
  converted.convert(floatType.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven, &lost);
  uint64_t bits = converted.bitcastToAPInt().getZExtValue();
  std::memcpy(p, &bits, width);
}

ElementsAttr writeRaw(ShapedType type, const RawElements &raw, StringRef nameHint) {
  int64_t count = type.getNumElements();
  unsigned width = raw.width;
  bool allEqual = raw.splat || count <= 1;
  if (!allEqual) {
    allEqual = true;
    for (int64_t i = 1; i < count && allEqual; ++i)
      allEqual = std::memcmp(raw.at(0), raw.at(i), width) == 0;
  }

  if (type.getElementType().isInteger(1)) {
    if (allEqual && count > 0)
      return DenseElementsAttr::get(type, *raw.at(0) != 0);
    if (count <= kInlineElementLimit) {
      SmallVector<bool> bits;
      for (int64_t i = 0; i < count; ++i)
        bits.push_back(*raw.at(i) != 0);
      return DenseElementsAttr::get(type, bits);
    }
  } else if (allEqual) {
    ArrayRef<char> one(raw.data.data(), count > 0 ? width : 0);
    return DenseElementsAttr::getFromRawBuffer(type, one);
  } else if (count <= kInlineElementLimit) {
    return DenseElementsAttr::getFromRawBuffer(type, raw.data);
  }
  // Large and varied: a blob. The blob manager makes the name unique.
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(raw.data, width);
  return DenseResourceElementsAttr::get(type, nameHint, std::move(blob));
}

StringRef nameHintOf(ElementsAttr attr) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    return resource.getRawHandle().getKey();
  return "kiln_const";
}

} // namespace

SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

bool isReadableConstant(Attribute attr) {
  if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(attr)) {
    // Check the blob without copying it.
    const AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    std::optional<unsigned> width = storageWidth(resource.getType().getElementType());
    return blob && width && resource.getType().hasStaticShape() &&
           static_cast<int64_t>(blob->getData().size()) ==
               resource.getType().getNumElements() * *width;
  }
  return isa_and_nonnull<DenseIntOrFPElementsAttr>(attr) && readRaw(attr).has_value();
}

std::optional<std::vector<double>> readAsDoubles(ElementsAttr attr) {
  std::optional<RawElements> raw = readRaw(attr);
  if (!raw)
    return std::nullopt;
  Type elementType = attr.getShapedType().getElementType();
  int64_t count = attr.getShapedType().getNumElements();
  if (raw->splat)
    return std::vector<double>(count, decodeDouble(elementType, raw->at(0), raw->width));
  std::vector<double> values(count);
  if (elementType.isF32()) {
    const float *data = reinterpret_cast<const float *>(raw->data.data());
    std::copy(data, data + count, values.begin());
    return values;
  }
  for (int64_t i = 0; i < count; ++i)
    values[i] = decodeDouble(elementType, raw->at(i), raw->width);
  return values;
}

std::optional<std::vector<int64_t>> readAsInts(ElementsAttr attr) {
  auto intType = dyn_cast<IntegerType>(attr.getShapedType().getElementType());
  if (!intType)
    return std::nullopt;
  std::optional<RawElements> raw = readRaw(attr);
  if (!raw)
    return std::nullopt;
  int64_t count = attr.getShapedType().getNumElements();
  std::vector<int64_t> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = decodeInt(intType, raw->at(i), raw->width);
  return values;
}

ElementsAttr makeFloatConstant(ShapedType type, ArrayRef<double> values, StringRef nameHint) {
  auto floatType = cast<FloatType>(type.getElementType());
  RawElements raw;
  raw.width = *storageWidth(floatType);
  raw.data.resize(values.size() * raw.width);
  for (size_t i = 0; i < values.size(); ++i)
    encodeDouble(floatType, values[i], raw.data.data() + i * raw.width, raw.width);
  return writeRaw(type, raw, nameHint);
}

ElementsAttr makeIntConstant(ShapedType type, ArrayRef<int64_t> values, StringRef nameHint) {
  auto intType = cast<IntegerType>(type.getElementType());
  RawElements raw;
  raw.width = *storageWidth(intType);
  raw.data.resize(values.size() * raw.width);
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t value = intType.getWidth() == 1 ? values[i] != 0 : values[i];
    std::memcpy(raw.data.data() + i * raw.width, &value, raw.width); // keeps the low bytes
  }
  return writeRaw(type, raw, nameHint);
}

ElementsAttr transposeConstant(ElementsAttr attr, ArrayRef<int64_t> perm) {
  std::optional<RawElements> raw = readRaw(attr);
  ShapedType type = attr.getShapedType();
  if (!raw || static_cast<int64_t>(perm.size()) != type.getRank())
    return nullptr;
  ArrayRef<int64_t> inShape = type.getShape();
  SmallVector<int64_t> outShape;
  for (int64_t p : perm)
    outShape.push_back(inShape[p]);
  ShapedType outType = type.clone(outShape);
  if (raw->splat)
    return writeRaw(outType, *raw, nameHintOf(attr));

  // Walk the output in row-major order with an odometer over its index,
  // tracking the matching input offset through the permuted strides.
  SmallVector<int64_t> inStrides = rowMajorStrides(inShape);
  SmallVector<int64_t> strides;
  for (int64_t p : perm)
    strides.push_back(inStrides[p]);
  int64_t count = type.getNumElements(), rank = type.getRank();
  unsigned width = raw->width;
  RawElements out;
  out.width = width;
  out.data.resize(raw->data.size());
  SmallVector<int64_t> index(rank, 0);
  int64_t inOffset = 0;
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(out.data.data() + i * width, raw->data.data() + inOffset * width, width);
    for (int64_t d = rank - 1; d >= 0; --d) {
      inOffset += strides[d];
      if (++index[d] < outShape[d])
        break;
      inOffset -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return writeRaw(outType, out, nameHintOf(attr));
}

ElementsAttr reshapeConstant(ElementsAttr attr, ShapedType type) {
  std::optional<RawElements> raw = readRaw(attr);
  if (!raw || type.getNumElements() != attr.getShapedType().getNumElements() ||
      type.getElementType() != attr.getShapedType().getElementType())
    return nullptr;
  return writeRaw(type, *raw, nameHintOf(attr));
}

} // namespace kiln
