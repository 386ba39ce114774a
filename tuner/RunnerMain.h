//===- RunnerMain.h - the native runner: compile and time candidates -*- C++ -*-===//
//
// The server side of tuner/Runner.h for the native device: reads requests
// on stdin, compiles each candidate with Halide's JIT (targets/jit), times
// it on fixed random inputs and checks its outputs against the task's
// reference. Runs in its own process (`kiln-tune --runner`).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_RUNNERMAIN_H
#define KILN_TUNER_RUNNERMAIN_H

namespace kiln::tuner {

/// Serves requests until stdin closes; returns the exit code.
int runnerMain();

} // namespace kiln::tuner

#endif
