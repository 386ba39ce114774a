//===- KernelInfo.cpp - what codegen reads from a kernel ------------------===//
#include "codegen/schedule/KernelInfo.h"

#include "compiler/support/Error.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SHA1.h"

using namespace mlir;

namespace kiln::codegen {

std::optional<ElementsAttr> constantValue(Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    auto kernel = dyn_cast_or_null<KernelOp>(arg.getOwner()->getParentOp());
    if (!kernel)
      return std::nullopt;
    value = kernel.getInputs()[arg.getArgNumber()];
  }
  Operation *def = value.getDefiningOp();
  if (auto c = dyn_cast_or_null<tosa::ConstOp>(def))
    return c.getValue();
  if (auto c = dyn_cast_or_null<arith::ConstantOp>(def))
    return dyn_cast<ElementsAttr>(c.getValue());
  return std::nullopt;
}

llvm::Expected<std::vector<uint8_t>> constantBytes(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  Type elementType = type.getElementType();
  int64_t count = type.getNumElements();
  std::vector<uint8_t> bytes;
  if (elementType.isInteger(1)) {
    // Dense i1 is bit-packed in MLIR; the runtime stores one byte each.
    auto dense = dyn_cast<DenseElementsAttr>(attr);
    if (!dense)
      return makeError("i1 constants must be dense, not dense_resource");
    for (bool b : dense.getValues<bool>())
      bytes.push_back(b ? 1 : 0);
    return bytes;
  }
  if (!elementType.isIntOrFloat() || elementType.getIntOrFloatBitWidth() % 8 != 0)
    return makeError("constant of unsupported element type");
  size_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  ArrayRef<char> raw;
  bool splat = false;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    raw = dense.getRawData();
    splat = dense.isSplat();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return makeError("dense_resource constant '" + resource.getRawHandle().getKey() +
                       "' has no data");
    raw = blob->getData();
  } else {
    return makeError("constant is neither dense nor dense_resource");
  }
  if (splat && raw.size() == elementBytes) {
    bytes.resize(count * elementBytes);
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(bytes.data() + i * elementBytes, raw.data(), elementBytes);
    return bytes;
  }
  if (raw.size() != count * elementBytes)
    return makeError("constant holds " + llvm::Twine(raw.size()) + " bytes, expected " +
                     llvm::Twine(count * elementBytes));
  bytes.assign(raw.begin(), raw.end());
  return bytes;
}

std::optional<std::vector<int64_t>> constantInts(Value value) {
  std::optional<ElementsAttr> attr = constantValue(value);
  if (!attr)
    return std::nullopt;
  auto type = cast<ShapedType>(attr->getType());
  auto intType = dyn_cast<IntegerType>(type.getElementType());
  if (!intType)
    return std::nullopt;
  auto bytes = constantBytes(*attr);
  if (!bytes) {
    llvm::consumeError(bytes.takeError());
    return std::nullopt;
  }
  std::vector<int64_t> out;
  unsigned width = intType.getWidth();
  size_t step = width == 1 ? 1 : width / 8;
  for (size_t i = 0; i + step <= bytes->size(); i += step) {
    int64_t v = 0;
    switch (step) {
    case 1:
      v = width == 1 ? (*bytes)[i] : static_cast<int8_t>((*bytes)[i]);
      break;
    case 2:
      v = *reinterpret_cast<const int16_t *>(bytes->data() + i);
      break;
    case 4:
      v = *reinterpret_cast<const int32_t *>(bytes->data() + i);
      break;
    case 8:
      v = *reinterpret_cast<const int64_t *>(bytes->data() + i);
      break;
    default:
      return std::nullopt;
    }
    out.push_back(v);
  }
  return out;
}

bool isStaticOperand(OpOperand &operand) {
  Operation *op = operand.getOwner();
  unsigned index = operand.getOperandNumber();
  if (isa<tosa::TransposeOp>(op))
    return index == 1;
  if (isa<tosa::PadOp>(op))
    return index >= 1;
  return false;
}

static std::string keyOf(KernelOp kernel, bool withSchedule) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.printGenericOpForm().useLocalScope();
  Block &body = kernel.getBody().front();
  for (BlockArgument arg : body.getArguments())
    os << arg.getType() << ";";
  // One numbering for the whole body (per op it would be quadratic).
  AsmState state(kernel, flags);
  for (Operation &op : body) {
    op.print(os, state);
    os << "\n";
  }
  // The hash that kiln-form-kernels writes does not see values from outside
  // the body; the ones codegen bakes in must be part of the key.
  for (Operation &op : body)
    for (OpOperand &operand : op.getOpOperands())
      if (isStaticOperand(operand) && isa<BlockArgument>(operand.get()))
        if (std::optional<ElementsAttr> value = constantValue(operand.get()))
          os << "static " << operand.getOperandNumber() << ": " << *value << "\n";
  if (withSchedule)
    if (Attribute schedule = kernel->getAttr("kiln.schedule"))
      os << "schedule: " << schedule << "\n";
  llvm::SHA1 sha;
  sha.update(text);
  return llvm::toHex(sha.final(), /*LowerCase=*/true).substr(0, 20);
}

std::string kernelKey(KernelOp kernel) { return keyOf(kernel, /*withSchedule=*/true); }

std::string kernelIdentity(KernelOp kernel) { return keyOf(kernel, /*withSchedule=*/false); }

} // namespace kiln::codegen
