//===- Plot.cpp - the tuning curve, as a picture --------------------------===//
#include "tuner/Plot.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace kiln::tuner {

namespace {

struct Panel {
  double x0, y0, w, h;     // pixels
  double xmax, ymin, ymax; // data
  double px(double x) const { return x0 + w * x / (xmax > 0 ? xmax : 1); }
  double py(double y) const { return y0 + h - h * (y - ymin) / (ymax > ymin ? ymax - ymin : 1); }
};

void axes(llvm::raw_ostream &os, const Panel &p, llvm::StringRef xlabel) {
  os << llvm::format("<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='none' "
                     "stroke='#444'/>\n",
                     p.x0, p.y0, p.w, p.h);
  for (int i = 0; i <= 4; ++i) {
    double x = p.xmax * i / 4, y = p.ymin + (p.ymax - p.ymin) * i / 4;
    os << llvm::format("<text x='%.0f' y='%.0f' font-size='11' text-anchor='middle'>%.0f</text>\n",
                       p.px(x), p.y0 + p.h + 14, x);
    os << llvm::format("<text x='%.0f' y='%.0f' font-size='11' text-anchor='end'>%.3f</text>\n",
                       p.x0 - 4, p.py(y) + 4, y);
    os << llvm::format("<line x1='%.0f' x2='%.0f' y1='%.0f' y2='%.0f' stroke='#eee'/>\n", p.x0,
                       p.x0 + p.w, p.py(y), p.py(y));
  }
  os << llvm::format("<text x='%.0f' y='%.0f' font-size='12' text-anchor='middle'>", p.x0 + p.w / 2,
                     p.y0 + p.h + 32)
     << xlabel << "</text>\n";
}

} // namespace

std::string curveSvg(const TuneReport &report, double templateModelMs, llvm::StringRef title) {
  std::string text;
  llvm::raw_string_ostream os(text);
  const double width = 900, height = 380;
  os << llvm::format("<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
                     "font-family='sans-serif'>\n<rect width='100%%' height='100%%' "
                     "fill='white'/>\n",
                     width, height);
  os << "<text x='450' y='22' font-size='15' text-anchor='middle'>" << title << "</text>\n";
  double ymin = templateModelMs, ymax = templateModelMs, tmax = 1, smax = 1;
  for (const TuneReport::Point &p : report.curve) {
    ymin = std::min(ymin, p.modelMs);
    ymax = std::max(ymax, p.modelMs);
    tmax = std::max<double>(tmax, p.trials);
    smax = std::max(smax, p.seconds);
  }
  double pad = (ymax - ymin) * 0.1 + 1e-6;
  Panel panels[2] = {{70, 40, 360, 280, tmax, ymin - pad, ymax + pad},
                     {520, 40, 360, 280, smax, ymin - pad, ymax + pad}};
  const char *labels[2] = {"trials", "seconds"};
  for (int i = 0; i < 2; ++i) {
    const Panel &p = panels[i];
    axes(os, p, labels[i]);
    os << llvm::format("<line x1='%.0f' x2='%.0f' y1='%.1f' y2='%.1f' stroke='#c33' "
                       "stroke-dasharray='6,4'/>\n",
                       p.x0, p.x0 + p.w, p.py(templateModelMs), p.py(templateModelMs));
    os << "<polyline fill='none' stroke='#1f5fbf' stroke-width='2' points='";
    for (const TuneReport::Point &pt : report.curve)
      os << llvm::format("%.1f,%.1f ", p.px(i == 0 ? pt.trials : pt.seconds), p.py(pt.modelMs));
    os << "'/>\n";
  }
  os << "<text x='70' y='365' font-size='11' fill='#c33'>dashed: templates</text>"
     << "<text x='200' y='365' font-size='11' fill='#1f5fbf'>solid: estimated model time "
        "(ms), best records so far</text>\n</svg>\n";
  return text;
}

llvm::Error writePng(const std::string &svg, llvm::StringRef pngPath) {
  std::string svgPath = (pngPath.drop_back(pngPath.ends_with(".png") ? 4 : 0) + ".svg").str();
  if (auto err = llvm::writeToOutput(svgPath, [&](llvm::raw_ostream &os) {
        os << svg;
        return llvm::Error::success();
      }))
    return err;
  auto converter = llvm::sys::findProgramByName("rsvg-convert");
  if (!converter)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "rsvg-convert (librsvg2-bin) not found: the curve is in " +
                                       svgPath);
  std::string error;
  llvm::SmallVector<llvm::StringRef> args = {*converter, "-o", pngPath, svgPath};
  if (llvm::sys::ExecuteAndWait(*converter, args, std::nullopt, {}, 60, 0, &error) != 0)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "rsvg-convert failed: " + error);
  // The PNG is the curve; the SVG was its way there (kept only when no
  // PNG could be made), so nothing else lands beside the database.
  llvm::sys::fs::remove(svgPath);
  return llvm::Error::success();
}

} // namespace kiln::tuner
