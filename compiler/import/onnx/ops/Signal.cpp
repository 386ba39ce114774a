//===- Signal.cpp - HannWindow, HammingWindow, BlackmanWindow, MelWeight... ===//
//
// The signal ops that make tables from scalars: a window of `size` samples
// and the mel filter bank. Their inputs are sizes and frequencies that a
// model fixes (the conformance runner retries with scalar inputs as
// constants), so each folds here, in double, to a constant of
// `output_datatype`; a size known only at run time would make the output's
// shape data dependent, and is refused with that reason.
//
// Windows (ONNX's definitions): w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi
// n / N), N = size when periodic (the default), size - 1 when symmetric.
// MelWeightMatrix follows ONNX's reference: triangles between mel-spaced
// bin edges, [dft_length / 2 + 1, num_mel_bins], quirks included.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <cmath>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// The one value of scalar input `i`, which must be known at import time.
llvm::Expected<double> scalarInput(OpContext &op, int i, llvm::StringRef what) {
  const Literal *lit = op.literal(i);
  if (!lit)
    return op.fail(what + " must be a constant (the output's shape or values depend on it)");
  if (lit->size() != 1)
    return op.fail(what + " must be a scalar, not " + llvm::Twine(lit->size()) + " values");
  return lit->doubleAt(0);
}

llvm::Expected<int32_t> outputType(OpContext &op) {
  int32_t dtype = static_cast<int32_t>(op.attrInt("output_datatype", kFloat));
  if (dtypeSize(dtype) == 0)
    return op.fail("output_datatype " + dtypeName(dtype) + " is not supported");
  return dtype;
}

template <int Kind> llvm::Error convertWindow(OpContext &op) {
  static constexpr double kCoefficients[3][3] = {
      {0.5, 0.5, 0.0}, {25.0 / 46.0, 21.0 / 46.0, 0.0}, {0.42, 0.5, 0.08}};
  auto size = scalarInput(op, 0, "size");
  if (!size)
    return size.takeError();
  auto dtype = outputType(op);
  if (!dtype)
    return dtype.takeError();
  if (*size < 1 || *size > kMaxFoldElements || *size != std::floor(*size))
    return op.fail("size must be an integer from 1 to " + llvm::Twine(kMaxFoldElements) + ", not " +
                   llvm::Twine(std::to_string(*size)));
  int64_t n = static_cast<int64_t>(*size);
  double period = op.attrInt("periodic", 1) ? n : n - 1;
  const double *a = kCoefficients[Kind];
  std::vector<double> w(n);
  for (int64_t i = 0; i < n; ++i) {
    double phase = period > 0 ? 2 * M_PI * i / period : 0;
    w[i] = a[0] - a[1] * std::cos(phase) + a[2] * std::cos(2 * phase);
  }
  op.setLiteral(0, Literal::fromDoubles(*dtype, {n}, w));
  return llvm::Error::success();
}

llvm::Error convertMelWeightMatrix(OpContext &op) {
  static const char *const kNames[] = {"num_mel_bins", "dft_length", "sample_rate",
                                       "lower_edge_hertz", "upper_edge_hertz"};
  double v[5];
  for (int i = 0; i < 5; ++i) {
    auto x = scalarInput(op, i, kNames[i]);
    if (!x)
      return x.takeError();
    v[i] = *x;
  }
  auto dtype = outputType(op);
  if (!dtype)
    return dtype.takeError();
  int64_t bins = static_cast<int64_t>(v[0]), dft = static_cast<int64_t>(v[1]);
  double rate = v[2];
  if (bins < 1 || dft < 1 || rate <= 0 || v[3] < 0 || v[4] < v[3])
    return op.fail("num_mel_bins, dft_length and sample_rate must be positive and "
                   "0 <= lower_edge_hertz <= upper_edge_hertz");
  int64_t spectrum = dft / 2 + 1;
  if (spectrum * bins > kMaxFoldElements)
    return op.fail("the matrix (" + llvm::Twine(spectrum) + " x " + llvm::Twine(bins) +
                   ") is too large to fold");
  auto toMel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
  // ONNX's reference divides the mel range into bins + 2 steps (the count
  // of edges, not of gaps), so the top edge stays below upper_edge_hertz;
  // its test data, and so ONNX Runtime, follow that.
  double low = toMel(v[3]), step = (toMel(v[4]) - low) / (bins + 2);
  std::vector<int64_t> edge(bins + 2);
  for (int64_t i = 0; i < bins + 2; ++i) {
    double hz = 700 * (std::pow(10.0, (i * step + low) / 2595) - 1);
    edge[i] = static_cast<int64_t>(std::floor((dft + 1) * hz / rate));
    // The reference indexes rows with these; past the spectrum it would fail.
    if (edge[i] < 0 || edge[i] >= spectrum + (i == bins + 1))
      return op.fail("upper_edge_hertz lies above the spectrum of dft_length " + llvm::Twine(dft) +
                     " at sample_rate " + llvm::Twine(std::to_string(rate)));
  }
  std::vector<double> m(spectrum * bins, 0.0);
  for (int64_t i = 0; i < bins; ++i) {
    int64_t left = edge[i], center = edge[i + 1], right = edge[i + 2];
    if (center == left)
      m[center * bins + i] = 1;
    else
      for (int64_t j = left; j <= center; ++j)
        m[j * bins + i] = double(j - left) / double(center - left);
    for (int64_t j = center; j < right; ++j)
      m[j * bins + i] = double(right - j) / double(right - center);
  }
  op.setLiteral(0, Literal::fromDoubles(*dtype, {spectrum, bins}, m));
  return llvm::Error::success();
}

} // namespace

void registerSignalOps(OpTable &table) {
  table.add("HannWindow", convertWindow<0>);
  table.add("HammingWindow", convertWindow<1>);
  table.add("BlackmanWindow", convertWindow<2>);
  table.add("MelWeightMatrix", convertMelWeightMatrix);
}

} // namespace kiln::onnx_import
