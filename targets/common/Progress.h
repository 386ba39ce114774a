//===- Progress.h - one line per compiled kernel -------------------*- C++ -*-===//
//
// Compiling a model with an autoscheduler takes from half a minute to a few
// minutes; the targets report each kernel as it is done,
//   [12/48] depthwise_conv2d_11  auto:adams2019  0.8 s
// and a total at the end, on a stream the driver chooses (stderr when it is
// a terminal or with --progress; none otherwise, so tools and tests that
// read stderr see only diagnostics).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_COMMON_PROGRESS_H
#define KILN_TARGETS_COMMON_PROGRESS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <string>

namespace kiln {

class KernelProgress {
public:
  /// `os` null: silent. `label` ("simd", "nosimd") tells passes apart.
  KernelProgress(llvm::raw_ostream *os, unsigned total, llvm::StringRef label = "");
  /// Kernel `index` (0-based) is compiled.
  void done(unsigned index, llvm::StringRef kernel, llvm::StringRef schedule, double seconds);
  /// The total: "compiled 48 kernels in 52.3 s".
  void finish();

private:
  llvm::raw_ostream *os;
  unsigned total;
  std::string label;
  std::chrono::steady_clock::time_point start;
};

} // namespace kiln

#endif
