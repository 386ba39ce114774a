//===- Constants.cpp - weights and other constants as tosa.const values ---===//
#include "compiler/import/common/Constants.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemAlloc.h"

#include <cstring>

using namespace mlir;

namespace kiln::import {

std::string blobName(llvm::StringRef hint) {
  std::string name;
  for (char c : hint)
    name += (llvm::isAlnum(c) || c == '_') ? c : '_';
  if (name.empty() || llvm::isDigit(name.front()))
    name.insert(0, "w_");
  return name;
}

// Whether every element has the same bytes.
static bool isUniform(llvm::ArrayRef<char> data, size_t elementSize) {
  for (size_t i = elementSize; i < data.size(); i += elementSize)
    if (std::memcmp(data.data(), data.data() + i, elementSize) != 0)
      return false;
  return true;
}

ElementsAttr constantAttr(RankedTensorType type, llvm::ArrayRef<char> data,
                          llvm::StringRef nameHint) {
  if (type.getElementType().isInteger(1)) {
    // i1 is bit-packed in DenseElementsAttr's storage: go through bools.
    llvm::SmallVector<bool> bools;
    for (char c : data)
      bools.push_back(c != 0);
    return DenseElementsAttr::get(type, llvm::ArrayRef<bool>(bools));
  }
  size_t elementSize = type.getElementTypeBitWidth() / 8;
  // A one-element buffer is read as a splat.
  if (!data.empty() && isUniform(data, elementSize))
    return DenseElementsAttr::getFromRawBuffer(type, data.take_front(elementSize));
  if (type.getNumElements() <= kMaxInlineElements)
    return DenseElementsAttr::getFromRawBuffer(type, data);
  // An immutable copy. Not HeapAsmResourceBlob::allocateAndCopyWithAlign(...,
  // /*dataIsMutable=*/false): MLIR 19's header writes the copy through
  // getMutableData(), whose assertion fails in a build with assertions on
  // (fuzz/README.md).
  constexpr size_t kAlign = 64;
  char *copy = static_cast<char *>(llvm::allocate_buffer(data.size(), kAlign));
  std::memcpy(copy, data.data(), data.size());
  AsmResourceBlob blob(llvm::ArrayRef<char>(copy, data.size()), kAlign, llvm::deallocate_buffer,
                       /*dataIsMutable=*/false);
  return DenseResourceElementsAttr::get(type, blobName(nameHint), std::move(blob));
}

} // namespace kiln::import
