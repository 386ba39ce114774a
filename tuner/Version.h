//===- Version.h - the Kiln version a tuning record names -------*- C++ -*-===//
//
// Internal to tuner/. `git describe --always --dirty` of the source tree
// when kiln-tune was built (cmake/KilnVersion.cmake, run at every build),
// in its own translation unit so that a new commit recompiles one small
// file, not the tuning loop.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_VERSION_H
#define KILN_TUNER_VERSION_H

namespace kiln::tuner {

/// The "kiln" field of the records this build writes.
const char *kilnVersion();

} // namespace kiln::tuner

#endif // KILN_TUNER_VERSION_H
