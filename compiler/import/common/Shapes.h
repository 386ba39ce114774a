//===- Shapes.h - static shapes: sizes, strides, printing, broadcasting -*- C++ -*-===//
#ifndef KILN_COMPILER_IMPORT_COMMON_SHAPES_H
#define KILN_COMPILER_IMPORT_COMMON_SHAPES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::import {

int64_t numElements(llvm::ArrayRef<int64_t> shape);
/// The element count of a shape read from a model file: std::nullopt when a
/// dimension is negative or the count does not fit in 64 bits.
std::optional<int64_t> checkedNumElements(llvm::ArrayRef<int64_t> shape);

/// Row-major strides of `shape`, in elements.
std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape);
/// Strides that read a row-major tensor of `shape` as its numpy broadcast to
/// `rank` dimensions: the added leading dimensions and those of size 1 get
/// stride 0.
std::vector<int64_t> broadcastStrides(llvm::ArrayRef<int64_t> shape, int64_t rank);

/// "[1,3,224,224]" with `separator` ","; "[1, 3, 224, 224]" with ", ". Each
/// importer keeps the form its error messages have always used.
std::string shapeString(llvm::ArrayRef<int64_t> shape, llvm::StringRef separator);

/// The broadcast shape of two shapes under numpy rules, or an error naming
/// both (printed with `separator`).
llvm::Expected<std::vector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b, llvm::StringRef separator);

/// Maps a possibly negative axis (counted from the end) into [0, rank), or
/// an error naming both.
llvm::Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace kiln::import

#endif
