//===- Constants.h - weights and other constants as tosa.const values -*- C++ -*-===//
//
// docs/CONVENTIONS.md: weights are `dense_resource` blobs so that the IR
// stays printable; small constants, and those whose elements are all the
// same (a zero bias prints as one value however large it is), are inline
// `dense<...>`. Both importers build every tosa.const from host data here.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_COMMON_CONSTANTS_H
#define KILN_COMPILER_IMPORT_COMMON_CONSTANTS_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

#include <string>

namespace kiln::import {

/// Up to this many elements a constant is printed inline (dense<...>).
constexpr int64_t kMaxInlineElements = 16;

/// `hint` as a blob key: keys print bare in dense_resource<...>, so they are
/// kept identifier-like ("conv1/W:0" gives "conv1_W_0", "0" gives "w_0").
std::string blobName(llvm::StringRef hint);

/// The value of a tosa.const of `type` from row-major host bytes: `data`
/// holds every element, or one element that stands for all of them. Elements
/// take the element type's width in bytes, except i1: one byte each, true
/// when nonzero. Inline when small or uniform, else a blob named after
/// `nameHint` (a copy of `data`, 64-byte aligned). i1 is always inline.
mlir::ElementsAttr constantAttr(mlir::RankedTensorType type, llvm::ArrayRef<char> data,
                                llvm::StringRef nameHint);

} // namespace kiln::import

#endif
