//===- QuietStderr.h - keep Halide's chatter off the user's terminal -*- C++ -*-===//
//
// Halide's autoscheduler plugins and its lowering print their progress and
// advice straight to std::cerr ("Pass 2 of 5, cost: ...", "Cache (block)
// misses", "Warning: Not folding Func ..."), dozens of lines per kernel.
// Errors, on the other hand, come back as exceptions. So while a QuietStderr
// is alive, file descriptor 2 goes to a temporary file that is dropped at
// the end; if the process dies meanwhile (abort, crash in a plugin), a
// signal handler first copies the captured text to the real stderr, so a
// crash message is never lost. KILN_HALIDE_LOG=1 (or HL_DEBUG_CODEGEN) in
// the environment turns the capture off. No Halide in this header.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_QUIETSTDERR_H
#define KILN_CODEGEN_QUIETSTDERR_H

namespace kiln::codegen {

class QuietStderr {
public:
  /// Nested and concurrent instances share one capture: the first redirects,
  /// the last restores.
  QuietStderr();
  ~QuietStderr();
  QuietStderr(const QuietStderr &) = delete;
  QuietStderr &operator=(const QuietStderr &) = delete;

  /// Whether the environment asked for Halide's output (KILN_HALIDE_LOG=1 or
  /// HL_DEBUG_CODEGEN set): then nothing is captured.
  static bool disabled();

private:
  bool active = false;
};

} // namespace kiln::codegen

#endif
