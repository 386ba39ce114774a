//===- TensorDir.h - tensor directories: <name>.bin + manifest.json -*- C++ -*-===//
//
// The format test/e2e/tensor_dir.mjs defines, so kiln-run reads the inputs
// make_inputs.mjs writes and writes outputs compare.mjs reads:
//   DIR/<file>.bin      raw little-endian elements, row-major
//   DIR/manifest.json   {"format": "kiln-tensors-v1", "tensors": [
//                          {"name", "file", "dtype", "shape"}, ...]}
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_TOOLS_KILN_RUN_TENSORDIR_H
#define KILN_COMPILER_TOOLS_KILN_RUN_TENSORDIR_H

#include "targets/jit/HostTensor.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln {

/// The file a tensor named `name` lives in: characters outside
/// [A-Za-z0-9._:+=-] become '_' (and leading dots), plus ".bin".
std::string tensorFileName(llvm::StringRef name);

/// Reads the tensor `spec` names (its dtype and shape are what the model
/// expects) from `dir`: through the manifest when there is one (checking
/// dtype and shape), else from tensorFileName(name) by size alone.
llvm::Expected<jit::HostTensor> readTensor(llvm::StringRef dir,
                                               const jit::HostTensor &spec);

/// Writes each tensor's .bin and the manifest.
llvm::Error writeTensorDir(llvm::StringRef dir, const std::vector<jit::HostTensor> &tensors);

} // namespace kiln

#endif
