// The importers' precompiled header (top-level CMakeLists.txt; also the
// graph, kernels and schedules libraries', and in cmake/HalidePch.h): the MLIR,
// LLVM and standard headers that nearly every translation unit of
// compiler/import/{common,onnx,tfjs} reads through its OpContext.h and
// TosaHelpers.h. Parsing them was most of each unit's compile time (about
// 5 of 6 CPU-s for an ops file, in the normal and the sanitizer builds
// alike); with them precompiled an ops file takes about 1 CPU-s. Only
// headers from outside the repository belong here: a Kiln header in it would
// rebuild every importer object whenever it changes, and would be included
// in units that do not ask for it.
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
