//===- Plot.h - the tuning curve, as a picture ------------------------*- C++ -*-===//
//
// Two panels side by side: the model's estimated time (the sum over tasks
// of calls x best kernel time) against trials, and against wall-clock
// seconds, with the template's estimate as a dashed line. Written as SVG;
// toPng renders it with rsvg-convert (Debian's librsvg2-bin).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_PLOT_H
#define KILN_TUNER_PLOT_H

#include "tuner/Tuner.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln::tuner {

std::string curveSvg(const TuneReport &report, double templateModelMs, llvm::StringRef title);

/// Writes `svg` to `pngPath` (through rsvg-convert); the SVG is kept beside
/// it when the converter is missing, and the error says so.
llvm::Error writePng(const std::string &svg, llvm::StringRef pngPath);

} // namespace kiln::tuner

#endif
