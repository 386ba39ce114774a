//===- Complex.cpp - complex64 values and the spectral ops ----------------===//
//
// A complex64 value is a (real, imaginary) pair of float32 tensors (see
// Complex.h). A DFT of length n over the last axis is one tosa.matmul of the
// parts concatenated along that axis, [..., 2n] (or [..., n] for RFFT's real
// input), by a constant matrix whose columns are the output's real parts
// then its imaginary parts (past 128 terms, a batched matmul over chunks of
// about 64 terms and a sum of the chunks: a running float32 sum's error
// grows with its length). The cos/sin entries are computed in double from
// (j * t) mod n, so they are float32's nearest values for any n. Against a
// float64 DFT the error stays within 3e-7 of the largest output up to
// n = 1000 (README.md, spectral), 2 to 6 times that of TF.js's FFT.
//
// TF.js (tfjs-core 4.22) decides the lengths, and Kiln follows it: RFFT of n
// gives n/2+1 (rounded down) values, IRFFT of m gives 2(m-1) (m for m <= 2)
// built from the Hermitian extension of all m inputs, imaginary parts of the
// first and last included; IFFT and IRFFT scale by 1/n. TF.js's converter
// ignores fft_length, so a known one that differs from these lengths (TF
// would crop or pad) is an error rather than a silent difference.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/ops/Complex.h"

#include "compiler/import/tfjs/OpContext.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <functional>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

double angle(int64_t j, int64_t t, int64_t n) { return kTwoPi * double((j * t) % n) / double(n); }

constexpr double kQuarterCos[] = {1.0, 0.0, -1.0, 0.0};
constexpr double kQuarterSin[] = {0.0, 1.0, 0.0, -1.0};

// cos and sin of angle(j, t, n), exact at the quarter turns (std::cos of a
// rounded pi/2 is 6e-17, not 0).
double dftCos(int64_t j, int64_t t, int64_t n) {
  int64_t k = (j * t) % n;
  if ((4 * k) % n == 0)
    return kQuarterCos[4 * k / n];
  return std::cos(angle(j, t, n));
}
double dftSin(int64_t j, int64_t t, int64_t n) {
  int64_t k = (j * t) % n;
  if ((4 * k) % n == 0)
    return kQuarterSin[4 * k / n];
  return std::sin(angle(j, t, n));
}

llvm::Error requireF32(OpContext &node, int i) {
  if (node.isComplex(i) || node.dtype(i) == DType::F32)
    return llvm::Error::success();
  return node.fail("input '" + node.inputName(i) + "' is " + dtypeName(node.dtype(i)) +
                   "; complex64 arithmetic takes float32 or complex64 operands");
}

llvm::Expected<int64_t> lastAxis(OpContext &node) {
  if (node.rank(0) < 1)
    return node.fail(node.opType() + llvm::Twine(" needs an input of rank 1 or more"));
  int64_t n = node.shape(0).back();
  if (n < 1 || n > kMaxDftLength)
    return node.fail("a DFT of length " + llvm::Twine(n) + " (Kiln takes 1 to " +
                     llvm::Twine(kMaxDftLength) + ": the matrix is built at import)");
  return n;
}

// Past this many terms a DFT's sum is split into chunks of about this many
// (a batched matmul, then a sum over the chunks): float32 error grows with
// the length of a running sum.
constexpr int64_t kDftChunk = 64;

/// `in` [..., k] times the constant [k, cols] of `fill(m)` (row-major),
/// named by `key`: [..., cols].
Value matmulConst(OpContext &node, Value in, int64_t k, int64_t cols, const std::string &key,
                  const std::function<void(std::vector<float> &)> &fill) {
  auto shape = typeOf(in).getShape();
  int64_t batch = 1;
  for (int64_t d : shape.drop_back())
    batch *= d;
  int64_t chunks = k > 2 * kDftChunk ? (k + kDftChunk - 1) / kDftChunk : 1;
  int64_t rows = (k + chunks - 1) / chunks;
  // Rows past k (padding to chunks * rows) are zero.
  Value m = node.graph().derivedConstant(key, [&] {
    std::vector<float> values(chunks * rows * cols, 0.0f);
    fill(values);
    return Literal::fromFloats({chunks, rows, cols}, std::move(values));
  });
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value x = reshape(b, loc, in, {1, batch, k});
  if (chunks > 1) {
    x = reshape(b, loc, x, {batch, k});
    if (chunks * rows > k)
      x = pad(b, loc, x, {0, 0, 0, chunks * rows - k}, 0.0);
    x = transpose(b, loc, reshape(b, loc, x, {batch, chunks, rows}), {1, 0, 2});
  }
  Value out = node.create<tosa::MatMulOp>(tensorOf({chunks, batch, cols}, b.getF32Type()), x, m);
  if (chunks > 1)
    out = reduce<tosa::ReduceSumOp>(b, loc, out, 0);
  llvm::SmallVector<int64_t> outShape(shape.drop_back());
  outShape.push_back(cols);
  return reshape(b, loc, out, outShape);
}

/// Splits [..., 2h] into its real [..., :h] and imaginary [..., h:] halves.
void setHalves(OpContext &node, Value both, int64_t h) {
  auto shape = typeOf(both).getShape();
  llvm::SmallVector<int64_t> start(shape.size(), 0), size(shape);
  size.back() = h;
  Value re = slice(node.builder(), node.loc(), both, start, size);
  start.back() = h;
  node.setComplex(0, re, slice(node.builder(), node.loc(), both, start, size));
}

Value concatParts(OpContext &node, std::pair<Value, Value> parts) {
  return concat(node.builder(), node.loc(), {parts.first, parts.second},
                typeOf(parts.first).getRank() - 1);
}

llvm::Error requireComplexInput(OpContext &node) {
  if (node.isComplex(0))
    return llvm::Error::success();
  return node.fail("takes a complex64 input; '" + node.inputName(0) + "' is " +
                   dtypeName(node.dtype(0)));
}

llvm::Error convertComplex(OpContext &node) {
  for (int i = 0; i < 2; ++i)
    if (node.isComplex(i) || node.dtype(i) != DType::F32)
      return node.fail(
          "takes two float32 inputs; '" + node.inputName(i) + "' is " +
          (node.isComplex(i) ? std::string("complex64") : dtypeName(node.dtype(i)).str()));
  if (node.shape(0) != node.shape(1))
    return node.fail("real part " + shapeString(node.shape(0)) + " and imaginary part " +
                     shapeString(node.shape(1)) + " differ in shape (TF.js requires one shape)");
  node.setComplex(0, node.value(0), node.value(1));
  return llvm::Error::success();
}

// Real and Imag of a float32 tensor are TF.js's clone and zeros.
llvm::Error convertPart(OpContext &node, bool imag) {
  if (!node.isComplex(0)) {
    if (llvm::Error err = requireF32(node, 0))
      return err;
    if (!imag)
      node.forwardInput(0, 0);
    else
      node.setLiteral(0, Literal::splat(DType::F32, node.shape(0).vec(), 0.0));
    return llvm::Error::success();
  }
  auto [re, im] = node.complexValue(0);
  node.setValue(0, imag ? im : re);
  return llvm::Error::success();
}
llvm::Error convertReal(OpContext &node) { return convertPart(node, false); }
llvm::Error convertImag(OpContext &node) { return convertPart(node, true); }

llvm::Error convertComplexAbs(OpContext &node) {
  if (llvm::Error err = requireComplexInput(node))
    return err;
  auto [re, im] = node.complexValue(0);
  OpBuilder &b = node.builder();
  Value sum =
      binary<tosa::AddOp>(b, node.loc(), mul(b, node.loc(), re, re), mul(b, node.loc(), im, im));
  node.setValue(0, binary<tosa::PowOp>(b, node.loc(), sum, scalarLike(b, node.loc(), sum, 0.5)));
  return llvm::Error::success();
}

// FFT (sign -1) and IFFT (sign +1, scaled by 1/n): out = x * e^(sign i 2 pi j t / n).
llvm::Error convertFft(OpContext &node, bool inverse) {
  if (llvm::Error err = requireComplexInput(node))
    return err;
  auto n = lastAxis(node);
  if (!n)
    return n.takeError();
  int64_t len = *n;
  double sign = inverse ? 1.0 : -1.0, scale = inverse ? 1.0 / double(len) : 1.0;
  // Rows: real parts then imaginary parts of x; columns: those of the output.
  auto fill = [&](std::vector<float> &m) {
    int64_t cols = 2 * len;
    for (int64_t t = 0; t < len; ++t)
      for (int64_t j = 0; j < len; ++j) {
        double c = dftCos(j, t, len) * scale, s = sign * dftSin(j, t, len) * scale;
        m[t * cols + j] = float(c);               // re <- x.re cos
        m[t * cols + len + j] = float(s);         // im <- x.re (sign sin)
        m[(len + t) * cols + j] = float(-s);      // re <- -x.im (sign sin)
        m[(len + t) * cols + len + j] = float(c); // im <- x.im cos
      }
  };
  Value both = matmulConst(node, concatParts(node, node.complexValue(0)), 2 * len, 2 * len,
                           (inverse ? "ifft_" : "fft_") + std::to_string(len), fill);
  setHalves(node, both, len);
  return llvm::Error::success();
}
llvm::Error convertFftForward(OpContext &node) { return convertFft(node, false); }
llvm::Error convertFftInverse(OpContext &node) { return convertFft(node, true); }

/// A known fft_length must be the length TF.js uses (its converter ignores it).
llvm::Error checkFftLength(OpContext &node, int64_t expected) {
  if (node.numInputs() < 2 || !node.literal(1))
    return llvm::Error::success();
  auto given = node.constInts(1, "fft_length");
  if (!given)
    return given.takeError();
  if (given->size() == 1 && (*given)[0] == expected)
    return llvm::Error::success();
  return node.fail("fft_length " + shapeString(*given) + " is not [" + llvm::Twine(expected) +
                   "], the length TF.js uses (it ignores fft_length; TF would crop or pad)");
}

llvm::Error convertRfft(OpContext &node) {
  if (node.isComplex(0) || node.dtype(0) != DType::F32)
    return node.fail(
        "takes a float32 input; '" + node.inputName(0) + "' is " +
        (node.isComplex(0) ? std::string("complex64") : dtypeName(node.dtype(0)).str()));
  auto n = lastAxis(node);
  if (!n)
    return n.takeError();
  int64_t len = *n, half = len / 2 + 1;
  if (llvm::Error err = checkFftLength(node, len))
    return err;
  auto fill = [&](std::vector<float> &m) {
    for (int64_t t = 0; t < len; ++t)
      for (int64_t j = 0; j < half; ++j) {
        m[t * 2 * half + j] = float(dftCos(j, t, len));
        m[t * 2 * half + half + j] = float(-dftSin(j, t, len));
      }
  };
  setHalves(node,
            matmulConst(node, node.value(0), len, 2 * half, "rfft_" + std::to_string(len), fill),
            half);
  return llvm::Error::success();
}

// x[t] = (1/n) sum over the extended spectrum Y of Re(Y[j] e^(i 2 pi j t / n)),
// Y[j] = X[j] for j < m and conj(X[n - j]) above: rows are X's real parts,
// then its imaginary parts, each row summing the j it stands for.
llvm::Error convertIrfft(OpContext &node) {
  if (llvm::Error err = requireComplexInput(node))
    return err;
  auto mOr = lastAxis(node);
  if (!mOr)
    return mOr.takeError();
  int64_t m = *mOr, len = m <= 2 ? m : 2 * (m - 1);
  if (llvm::Error err = checkFftLength(node, len))
    return err;
  auto fill = [&](std::vector<float> &mat) {
    std::vector<double> acc(2 * m * len, 0.0);
    for (int64_t j = 0; j < len; ++j) {
      int64_t source = j < m ? j : len - j;
      double conj = j < m ? 1.0 : -1.0;
      for (int64_t t = 0; t < len; ++t) {
        acc[source * len + t] += dftCos(j, t, len) / double(len);
        acc[(m + source) * len + t] -= conj * dftSin(j, t, len) / double(len);
      }
    }
    for (size_t i = 0; i < acc.size(); ++i)
      mat[i] = float(acc[i]);
  };
  node.setValue(0, matmulConst(node, concatParts(node, node.complexValue(0)), 2 * m, len,
                               "irfft_" + std::to_string(m), fill));
  return llvm::Error::success();
}

// Add, Sub, Mul with a complex64 operand (the other may be float32).
llvm::Error convertArith(OpContext &node) {
  for (int i = 0; i < 2; ++i)
    if (llvm::Error err = requireF32(node, i))
      return err;
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  auto [a, bi] = node.complexValue(0);
  auto [c, d] = node.complexValue(1);
  llvm::StringRef op = node.opType();
  if (op == "Mul") {
    node.setComplex(0, binary<tosa::SubOp>(b, loc, mul(b, loc, a, c), mul(b, loc, bi, d)),
                    binary<tosa::AddOp>(b, loc, mul(b, loc, a, d), mul(b, loc, bi, c)));
  } else if (op == "Sub") {
    node.setComplex(0, binary<tosa::SubOp>(b, loc, a, c), binary<tosa::SubOp>(b, loc, bi, d));
  } else {
    node.setComplex(0, binary<tosa::AddOp>(b, loc, a, c), binary<tosa::AddOp>(b, loc, bi, d));
  }
  return llvm::Error::success();
}

llvm::Error convertIdentity(OpContext &node) {
  node.forwardInput(0, 0);
  return llvm::Error::success();
}

const llvm::StringMap<ConvertFn> &complexTakers() {
  static const llvm::StringMap<ConvertFn> map = {
      {"Real", convertReal},      {"Imag", convertImag},         {"ComplexAbs", convertComplexAbs},
      {"FFT", convertFftForward}, {"IFFT", convertFftInverse},   {"IRFFT", convertIrfft},
      {"Add", convertArith},      {"AddV2", convertArith},       {"Sub", convertArith},
      {"Mul", convertArith},      {"Identity", convertIdentity}, {"Complex", convertComplex},
      {"RFFT", convertRfft}};
  return map;
}

} // namespace

ConvertFn complexConverter(llvm::StringRef op) {
  auto it = complexTakers().find(op);
  return it == complexTakers().end() ? nullptr : it->second;
}

std::string complexTakersNote() {
  return "Kiln takes complex64 values in Real, Imag, ComplexAbs, FFT, IFFT, IRFFT, Add, AddV2, "
         "Sub, Mul and Identity only (a pair of float32 tensors inside the graph)";
}

void registerComplexOps(OpTable &table) {
  table.add("Complex", convertComplex, 2, 2);
  table.add("Real", convertReal, 1, 1);
  table.add("Imag", convertImag, 1, 1);
  table.add("ComplexAbs", convertComplexAbs, 1, 1);
  table.add("FFT", convertFftForward, 1, 1);
  table.add("IFFT", convertFftInverse, 1, 1);
  table.add("RFFT", convertRfft, 1, 2);
  table.add("IRFFT", convertIrfft, 1, 2);
}

} // namespace kiln::tfjs_import
