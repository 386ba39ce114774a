//===- Version.cpp - the Kiln version a tuning record names ---------------===//
#include "tuner/Version.h"

#include "KilnVersion.inc" // KILN_VERSION, written at every build

const char *kiln::tuner::kilnVersion() { return KILN_VERSION; }
