//===- OpContextBase.cpp - what both importers' op contexts share ---------===//
#include "compiler/import/common/OpContextBase.h"

#include "compiler/import/common/Shapes.h"

namespace kiln::import {

llvm::Error OpContextBase::fail(const llvm::Twine &message) const {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<int64_t> OpContextBase::normalizeAxis(int64_t axis, int64_t rank) const {
  return import::normalizeAxis(axis, rank);
}

llvm::Error OpContextBase::notKnown(int i, llvm::StringRef what) const {
  return fail("input '" + inputName(i) + "' (" + what +
              ") must be a constant or computable from static shapes");
}

llvm::Error OpContextBase::notInteger(int i, llvm::StringRef what) const {
  return fail("input '" + inputName(i) + "' (" + what + ") must be an integer tensor");
}

} // namespace kiln::import
