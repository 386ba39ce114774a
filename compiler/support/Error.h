//===- Error.h - the one way Kiln makes a plain llvm::Error ------*- C++ -*-===//
//
// Header-only, so every layer (importers, codegen, targets, tuner, tools)
// can use it without linking another library. Until 2026-12-07, 25 .cpp
// files each had their own copy of this function.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_SUPPORT_ERROR_H
#define KILN_COMPILER_SUPPORT_ERROR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

namespace kiln {

/// An error that carries only `message` (no error code a caller tests):
/// what a tool prints after "error: ".
inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace kiln

#endif // KILN_COMPILER_SUPPORT_ERROR_H
