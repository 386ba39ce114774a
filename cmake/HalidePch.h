// KilnHalideCodegen's precompiled header (top-level CMakeLists.txt): the
// MLIR headers of cmake/ImportPch.h and Halide.h, which every unit of
// codegen/halide reads. An emit/ file took about 7 CPU-s, 1-2 with them
// precompiled (2026-12-07).
#include "cmake/ImportPch.h"

#include "Halide.h"
