//===- Fourier.cpp - DFT and STFT ------------------------------------------===//
//
// Both are one tosa.matmul with a constant matrix: the discrete Fourier
// transform of a fixed length is linear, so each output bin (real and
// imaginary part) is a weighted sum of the input samples (real and, for a
// complex input, imaginary part), with the weights cos and sin of 2 pi k n /
// length computed here in double. Every other axis is a row of the product.
// - DFT (opset 17): the axis attribute, inverse (sign flipped, scaled by
//   1 / length), onesided (the first length / 2 + 1 bins), and dft_length,
//   which must be a constant (it fixes the output's shape): shorter inputs
//   are zero-padded, longer ones truncated, as the spec says.
// - STFT: frames cut by one tosa.gather of constant sample positions (the
//   frame step and length must be constants), multiplied by the window input
//   when there is one, then the DFT over each frame.
// float32 only: tosa.matmul takes float32 here; the matrix is capped at
// kMaxWeights elements (a 1024-point real DFT is 4M).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <cmath>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

constexpr int64_t kMaxWeights = 1 << 22;

// The [1, length * channels, bins * 2] matrix that maps `length` samples of
// `channels` (1: real, 2: complex) parts to `bins` complex outputs of an
// `m`-point transform (samples past m are dropped; missing ones are zero).
std::vector<double> dftMatrix(int64_t length, int64_t channels, int64_t m, int64_t bins,
                              bool inverse) {
  std::vector<double> w(length * channels * bins * 2, 0.0);
  double sign = inverse ? 1 : -1, scale = inverse ? 1.0 / m : 1.0;
  for (int64_t n = 0; n < std::min(length, m); ++n)
    for (int64_t k = 0; k < bins; ++k) {
      // Reduce k * n mod m first, so the angle stays exact for long inputs.
      double angle = 2 * M_PI * double((k * n) % m) / double(m);
      double c = std::cos(angle) * scale, s = sign * std::sin(angle) * scale;
      // (xr + i xi)(c + i s) = (xr c - xi s) + i (xr s + xi c)
      double *re = &w[(n * channels) * bins * 2 + k * 2];
      re[0] = c;
      re[1] = s;
      if (channels == 2) {
        double *im = &w[(n * channels + 1) * bins * 2 + k * 2];
        im[0] = -s;
        im[1] = c;
      }
    }
  return w;
}

// x [rows, length * channels] times the DFT matrix: [rows, bins * 2].
llvm::Expected<Value> transformRows(OpContext &op, Value x, int64_t rows, int64_t length,
                                    int64_t channels, int64_t m, int64_t bins, bool inverse) {
  int64_t weights = length * channels * bins * 2;
  if (weights > kMaxWeights)
    return op.fail("the transform's matrix (" + llvm::Twine(length * channels) + " x " +
                   llvm::Twine(bins * 2) + ") is above Kiln's " + llvm::Twine(kMaxWeights) +
                   " elements");
  Value w = op.constant(Literal::fromDoubles(kFloat, {1, length * channels, bins * 2},
                                             dftMatrix(length, channels, m, bins, inverse)),
                        "dft");
  Value a = reshape(op.builder(), op.loc(), x, {1, rows, length * channels});
  return op.create<tosa::MatMulOp>(tensorOf({1, rows, bins * 2}, op.builder().getF32Type()), a, w);
}

llvm::Expected<int64_t> optionalScalar(OpContext &op, int i, llvm::StringRef what) {
  auto v = op.constInts(i, what);
  if (!v)
    return v.takeError();
  if (v->size() != 1)
    return op.fail(what + " must be one value, not " + llvm::Twine(v->size()));
  return (*v)[0];
}

llvm::Error convertDFT(OpContext &op) {
  if (!op.elementType(0).isF32())
    return op.fail("only float32 DFT is supported");
  if (op.opset() >= 20)
    return op.fail("DFT of opset 20 (axis as an input) is not supported; opset 17 is");
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  int64_t rank = shape.size();
  int64_t channels = shape.back();
  if (rank < 3 || (channels != 1 && channels != 2))
    return op.fail("the input must be [batch, ..., 1 or 2], not " +
                   llvm::Twine(shapeString(shape)));
  auto axis = op.normalizeAxis(op.attrInt("axis", 1), rank);
  if (!axis)
    return axis.takeError();
  if (*axis == 0 || *axis == rank - 1)
    return op.fail("axis " + llvm::Twine(*axis) + " is the batch or the real/imaginary axis");
  int64_t length = shape[*axis], m = length;
  if (op.hasInput(1)) {
    auto dftLength = optionalScalar(op, 1, "dft_length");
    if (!dftLength)
      return dftLength.takeError();
    if (*dftLength < 1)
      return op.fail("dft_length must be positive, not " + llvm::Twine(*dftLength));
    m = *dftLength;
  }
  bool inverse = op.attrInt("inverse", 0), onesided = op.attrInt("onesided", 0);
  if (inverse && onesided)
    return op.fail("inverse with onesided = 1 is not supported");
  int64_t bins = onesided ? m / 2 + 1 : m;
  // Move the axis next to the channels: [others..., length, channels].
  std::vector<int64_t> perm, others;
  for (int64_t d = 0; d < rank - 1; ++d)
    if (d != *axis) {
      perm.push_back(d);
      others.push_back(shape[d]);
    }
  perm.push_back(*axis);
  perm.push_back(rank - 1);
  int64_t rows = numElements(others);
  Value x = transpose(op.builder(), op.loc(), op.value(0), perm);
  auto y = transformRows(op, x, rows, length, channels, m, bins, inverse);
  if (!y)
    return y.takeError();
  std::vector<int64_t> outShape(others);
  outShape.push_back(bins);
  outShape.push_back(2);
  Value out = reshape(op.builder(), op.loc(), *y, outShape);
  // Back to the input's order: perm's inverse.
  std::vector<int64_t> back(rank);
  for (int64_t d = 0; d < rank; ++d)
    back[perm[d]] = d;
  op.setValue(0, transpose(op.builder(), op.loc(), out, back));
  return llvm::Error::success();
}

llvm::Error convertSTFT(OpContext &op) {
  if (!op.elementType(0).isF32())
    return op.fail("only float32 STFT is supported");
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  if (shape.size() != 3 || (shape[2] != 1 && shape[2] != 2))
    return op.fail("the signal must be [batch, length, 1 or 2], not " +
                   llvm::Twine(shapeString(shape)));
  int64_t batch = shape[0], length = shape[1], channels = shape[2];
  auto step = optionalScalar(op, 1, "frame_step");
  if (!step)
    return step.takeError();
  int64_t frameLength = -1;
  if (op.hasInput(2)) {
    if (op.rank(2) != 1)
      return op.fail("the window must have rank 1");
    frameLength = op.shape(2)[0];
  }
  if (op.hasInput(3)) {
    auto fl = optionalScalar(op, 3, "frame_length");
    if (!fl)
      return fl.takeError();
    if (frameLength >= 0 && *fl != frameLength)
      return op.fail("frame_length " + llvm::Twine(*fl) + " differs from the window's length " +
                     llvm::Twine(frameLength));
    frameLength = *fl;
  }
  if (frameLength < 0)
    return op.fail("needs a window or a frame_length");
  if (*step < 1 || frameLength < 1 || frameLength > length)
    return op.fail("frame_step must be positive and frame_length in 1.." + llvm::Twine(length));
  int64_t frames = (length - frameLength) / *step + 1;
  bool onesided = op.attrInt("onesided", 1);
  if (onesided && channels == 2)
    return op.fail("onesided = 1 needs a real signal");
  int64_t bins = onesided ? frameLength / 2 + 1 : frameLength;
  if (batch * frames * frameLength > kMaxWeights)
    return op.fail("the frames (" + llvm::Twine(batch * frames * frameLength) +
                   " samples) are above Kiln's " + llvm::Twine(kMaxWeights));
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  // Sample positions of every frame, for each batch row: [batch, frames * fl].
  std::vector<int64_t> positions;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t f = 0; f < frames; ++f)
      for (int64_t i = 0; i < frameLength; ++i)
        positions.push_back(f * *step + i);
  Value idx = intConstant(b, loc, positions, {batch, frames * frameLength}, b.getI32Type());
  Value x = op.create<tosa::GatherOp>(
      tensorOf({batch, frames * frameLength, channels}, b.getF32Type()), op.value(0), idx);
  x = reshape(b, loc, x, {batch, frames, frameLength, channels});
  if (op.hasInput(2))
    x = mul(b, loc, x, reshape(b, loc, op.value(2), {1, 1, frameLength, 1}));
  auto y = transformRows(op, x, batch * frames, frameLength, channels, frameLength, bins,
                         /*inverse=*/false);
  if (!y)
    return y.takeError();
  op.setValue(0, reshape(b, loc, *y, {batch, frames, bins, 2}));
  return llvm::Error::success();
}

} // namespace

void registerFourierOps(OpTable &table) {
  table.add("DFT", convertDFT);
  table.add("STFT", convertSTFT);
}

} // namespace kiln::onnx_import
