//===- Complex.h - complex64 values and the spectral ops ----------*- C++ -*-===//
//
// Kiln's tensors are real, so a complex64 value inside a TF.js graph is a
// pair of float32 tensors of one shape: the entry's `value` is the real
// part, its `imag` the imaginary part (GraphImporter.h, ValueEntry). Complex
// and RFFT make one; Real, Imag and ComplexAbs take a part or the modulus;
// FFT, IFFT, RFFT and IRFFT are DFTs over the last axis, as a matmul by a
// constant cos/sin matrix built at import. A node that reads a complex value
// goes to complexConverter's converter instead of the op table's.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_COMPLEX_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_COMPLEX_H

#include "compiler/import/tfjs/ops/OpTable.h"

#include <string>

namespace kiln::tfjs_import {

/// Complex, Real, Imag, ComplexAbs, FFT, IFFT, RFFT, IRFFT.
void registerComplexOps(OpTable &table);

/// The converter of `op` for a node with a complex64 input, or null where
/// Kiln's `op` takes none.
ConvertFn complexConverter(llvm::StringRef op);

/// Names the ops that take a complex64 value, for the error of one that
/// does not.
std::string complexTakersNote();

/// The largest DFT length: the constant matrix holds (2n)^2 floats.
constexpr int64_t kMaxDftLength = 2048;

} // namespace kiln::tfjs_import

#endif
