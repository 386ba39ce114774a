//===- RelaxedSimd.h - kernels with f32x4.relaxed_madd --------------------===//
//
// SIMD128 has no fused multiply-add, so a convolution's inner step is an
// f32x4.mul and an f32x4.add: the engine's peak is one of each per cycle and
// lane group. Relaxed SIMD's f32x4.relaxed_madd lets the engine emit one FMA
// instead (V8 does where the CPU has FMA3). Halide 14 (LLVM 14) knows nothing
// of it and LLVM 19's wasm backend does not contract fmul+fadd by itself, so
// a kernel's bitcode is rewritten here with LLVM 19: every f32 vector fadd
// whose operand is a single-use fmul, both allowed to contract (Halide marks
// its float arithmetic so), becomes llvm.wasm.relaxed.madd; then llc-19
// compiles it with +relaxed-simd.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_WASM_RELAXEDSIMD_H
#define KILN_TARGETS_WASM_RELAXEDSIMD_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln::wasm {

/// Rewrites `bitcodeIn` (a kernel Halide compiled for wasm_simd128) as
/// described above and compiles it to the wasm object `objectOut`. Returns
/// how many multiply-adds were fused. `workBitcode` is a scratch path for
/// the rewritten bitcode.
llvm::Expected<unsigned> compileRelaxedKernel(llvm::StringRef bitcodeIn,
                                              llvm::StringRef workBitcode,
                                              llvm::StringRef objectOut);

} // namespace kiln::wasm

#endif // KILN_TARGETS_WASM_RELAXEDSIMD_H
