//===- Weights.h - a TF.js model's weight shards, decoded ---------*- C++ -*-===//
//
// Each weightsManifest group lists shard files and the weights they hold,
// back to back across the shards in order (TF.js splits at 4 MB, in the
// middle of a weight if need be). Weights are decoded the way TF.js's
// io.decodeWeights does: float32, int32 and bool as stored; the converter's
// quantised forms widened to float32 (float16) or dequantised as
// q * scale + min (uint8, uint16; rounded for int32 weights).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_WEIGHTS_H
#define KILN_COMPILER_IMPORT_TFJS_WEIGHTS_H

#include "compiler/import/tfjs/Literal.h"
#include "compiler/import/tfjs/ModelJson.h"
#include "llvm/ADT/StringMap.h"

namespace kiln::tfjs_import {

/// A decoded weight. String and complex64 weights are sized (so that the
/// ones after them are found) but not decoded: `opaque` is set.
struct Weight {
  Literal tensor;
  bool opaque = false;
};

/// Reads every group's shards. Errors (a missing shard, sizes that do not
/// match the shards, an unknown dtype) are one line each.
llvm::Expected<llvm::StringMap<Weight>> loadWeights(const TfjsModel &model);

/// Bytes per stored element of a weight (its quantized form's, if any), or 0
/// for dtypes without a fixed size (string) and unknown ones.
int64_t storedElementSize(const WeightSpec &spec);

/// IEEE half (binary16) bits to float, exactly.
float halfToFloat(uint16_t bits);

} // namespace kiln::tfjs_import

#endif
