//===- SizeReport.h - what a WASM artifact weighs -----------------*- C++ -*-===//
//
// The numbers a web developer asks first: bytes of code, of weights and of
// JS, raw and gzipped (zlib's deflate at level 9 with gzip framing, as
// `gzip -9n` would serve them). "Code" is the SIMD module without its
// embedded weights, so that it compares across --weights modes. Printed by
// kilnc and written as NAME.size.json.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_WASM_SIZEREPORT_H
#define KILN_TARGETS_WASM_SIZEREPORT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln::wasm {

struct Bytes {
  uint64_t raw = 0, gzip = 0;
};

/// Size of `data` after gzip -9 (deflate level 9, 18 bytes of gzip framing).
llvm::Expected<uint64_t> gzipSize(llvm::StringRef data);

/// Both sizes of `data`.
llvm::Expected<Bytes> measure(llvm::StringRef data);

struct SizeReport {
  std::string model;
  Bytes code;                        ///< NAME.wasm less its embedded weights
  std::optional<Bytes> fallbackCode; ///< NAME.nosimd.wasm likewise
  Bytes weights;
  bool weightsEmbedded = true;
  Bytes js;    ///< NAME.mjs
  Bytes types; ///< NAME.d.ts, not shipped to browsers, for the record
  /// The goal the WASM target is held to: code and JS, raw, under 100 KB.
  static constexpr uint64_t kGoalBytes = 100 * 1024;
  bool meetsGoal() const { return code.raw + js.raw < kGoalBytes; }
};

/// Measures a module, removing `weights` from it first when they are
/// embedded (they appear in its data segment byte for byte).
llvm::Expected<Bytes> measureCode(llvm::StringRef module, llvm::StringRef weights);

std::string toJson(const SizeReport &report);
void print(const SizeReport &report, llvm::raw_ostream &os);

} // namespace kiln::wasm

#endif
