//===- Random.h - random ops as tosa.custom "kiln.random" ---------*- C++ -*-===//
//
// What both importers share for sampling ops (TF.js RandomUniform & co.):
// the model's random state and the one op that samples from it. The state
// is an extra argument of @main, int32 [4], marked `kiln.rng` (no kiln.name:
// it is no model input): the host binds it to the context's seed and run
// counter (runtime/kiln_host.h), so a run's samples depend on (seed, op key,
// run, element) only. codegen/halide/emit/Random.cpp defines the sampling.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_COMMON_RANDOM_H
#define KILN_COMPILER_IMPORT_COMMON_RANDOM_H

#include "mlir/IR/Builders.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace kiln::import {

/// The argument attribute that marks @main's random state.
constexpr const char *kRngArgAttr = "kiln.rng";

/// The random state of the function the builder is in, appended as its last
/// argument on first use. An error when that function is not @main (a TF2
/// function body: its calls do not pass the state).
llvm::Expected<mlir::Value> rngState(mlir::OpBuilder &b, mlir::Location loc);

/// An op's 32-bit stream key: from TF's (seed, seed2) when either is set, so
/// two ops seeded alike draw alike, as in TF; else from the node's name, so
/// that two unseeded ops of one model draw different streams, the same on
/// every build (FNV-1a).
uint32_t randomKey(int64_t seed, int64_t seed2, llvm::StringRef nodeName);

/// tosa.custom "kiln.random" of `type` (dist "uniform", "normal",
/// "truncated": float32; "int" in [lo, hi): int32; "multinomial" from
/// float32 logits [batch, classes] to int32/int64 [batch, samples]).
mlir::Value random(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, mlir::Value state,
                   llvm::StringRef dist, uint32_t key, int64_t lo = 0, int64_t hi = 0,
                   mlir::Value logits = {});

} // namespace kiln::import

#endif
