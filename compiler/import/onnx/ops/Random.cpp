//===- Random.cpp - RandomUniform, RandomNormal, Bernoulli, Multinomial ---===//
//
// ONNX's sampling ops, each one tosa.custom "kiln.random"
// (compiler/import/common/Random.h, shared with TF.js's random ops):
// Philox4x32-10 over (seed, op key, run, element), so a run's samples are
// the same on every target and every run samples afresh.
//   RandomUniform(Like)  low + (high - low) u, u uniform in [0, 1)
//   RandomNormal(Like)   mean + scale z, z standard normal (Box-Muller)
//   Bernoulli            u < p: 1 with probability p, in `dtype`
//   Multinomial          [batch, sample_size] class indices from
//                        [batch, classes] unnormalized log-probabilities
// Samples are float32; a float64 output is the float32 sample widened (its
// resolution is float32's), float16 and bfloat16 outputs are refused.
// Shapes must be known at import (the `shape` attribute, or the Like
// input's static shape).
//
// The `seed` attribute fixes the op's sequence, as in ONNX Runtime (a
// generator seeded once per session, advanced by every run): a seeded op
// samples from the attribute's seed instead of the context's (NAME_set_seed
// does not change it) and keys its stream by that seed alone, so two ops
// with one seed draw alike; the context's run counter still advances it,
// and set_seed, which restarts the counter, replays it. Unseeded ops key
// by node name under the context's seed, as TF.js's do. The numbers cannot
// match ONNX Runtime's or numpy's (other generators): test/e2e/
// random_onnx.test.mjs checks them by their distribution.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Random.h"
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include "llvm/ADT/bit.h"

#include <cstdint>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

/// The high word of a seeded op's Philox key ("ONNX"), so that no context
/// seed's key equals an attribute's.
constexpr int64_t kSeededTag = 0x4f4e4e58;

/// The op's random state and stream key: the context's state and the node's
/// name, or, with a `seed` attribute, the attribute's bits in place of the
/// context's seed words (the run counter kept) and a key from the seed.
llvm::Expected<std::pair<Value, uint32_t>> stateAndKey(OpContext &op) {
  auto state = import::rngState(op.builder(), op.loc());
  if (!state)
    return op.fail(llvm::toString(state.takeError()));
  if (!op.hasAttr("seed"))
    return std::make_pair(*state, import::randomKey(0, 0, op.name()));
  uint32_t bits = llvm::bit_cast<uint32_t>(op.attrFloat("seed", 0));
  OpBuilder &b = op.builder();
  Type i32 = b.getI32Type();
  Value seedWords = intConstant(b, op.loc(), {int32_t(bits), kSeededTag}, {2}, i32);
  Value runWords = slice(b, op.loc(), *state, {2}, {2});
  return std::make_pair(concat(b, op.loc(), {seedWords, runWords}, 0),
                        import::randomKey(bits, kSeededTag, ""));
}

/// The output's float type from `dtype` (default `fallback`): float32 or
/// float64.
llvm::Expected<Type> floatOutput(OpContext &op, int32_t fallback) {
  int32_t dtype = static_cast<int32_t>(op.attrInt("dtype", fallback));
  if (dtype != kFloat && dtype != kDouble)
    return op.fail("dtype " + dtypeName(dtype) + ": Kiln samples float32 and float64 outputs only");
  return elementTypeFor(op.builder(), dtype);
}

/// float32 samples widened to `element` (float64) where it differs.
Value widen(OpContext &op, Value samples, Type element) {
  if (typeOf(samples).getElementType() == element)
    return samples;
  return castElements(op.builder(), op.loc(), samples, element);
}

/// RandomUniform, RandomNormal and their Like forms.
llvm::Error convertFloatRandom(OpContext &op) {
  llvm::StringRef type = op.opType();
  bool like = type.ends_with("Like"), normal = type.starts_with("RandomNormal");
  std::vector<int64_t> shape;
  int32_t fallback = kFloat;
  if (like) {
    shape.assign(op.shape(0).begin(), op.shape(0).end());
    fallback = dtypeFor(op.elementType(0));
  } else {
    if (!op.hasAttr("shape"))
      return op.fail("the shape attribute is required");
    shape = op.attrInts("shape");
  }
  for (int64_t d : shape)
    if (d < 0)
      return op.fail("the output shape " + shapeString(shape) + " must be known at import");
  auto element = floatOutput(op, fallback);
  if (!element)
    return element.takeError();
  auto sk = stateAndKey(op);
  if (!sk)
    return sk.takeError();
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  Value out = import::random(b, loc, tensorOf(shape, b.getF32Type()), sk->first,
                             normal ? "normal" : "uniform", sk->second);
  double scale =
      normal ? op.attrFloat("scale", 1) : op.attrFloat("high", 1) - op.attrFloat("low", 0);
  double shift = normal ? op.attrFloat("mean", 0) : op.attrFloat("low", 0);
  if (scale != 1)
    out = mul(b, loc, out, scalarLike(b, loc, out, scale));
  if (shift != 0)
    out = binary<tosa::AddOp>(b, loc, out, scalarLike(b, loc, out, shift));
  op.setValue(0, widen(op, out, *element));
  return llvm::Error::success();
}

/// Bernoulli: 1 where a uniform sample u in [0, 1) is below p (probability
/// p, to float32's 2^-23 steps of u), in `dtype` (default the input's).
llvm::Error convertBernoulli(OpContext &op) {
  int32_t inType = dtypeFor(op.elementType(0));
  if (inType != kFloat && inType != kDouble)
    return op.fail("input is " + dtypeName(inType) +
                   ": Kiln takes float32 and float64 probabilities");
  int32_t outType = static_cast<int32_t>(op.attrInt("dtype", inType));
  if (!kilnDType(outType) || outType == kFloat16 || outType == kBFloat16)
    return op.fail("dtype " + dtypeName(outType) + " is not supported");
  auto sk = stateAndKey(op);
  if (!sk)
    return sk.takeError();
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  llvm::ArrayRef<int64_t> shape = op.shape(0);
  Value u =
      import::random(b, loc, tensorOf(shape, b.getF32Type()), sk->first, "uniform", sk->second);
  Value p = op.value(0);
  if (inType != kFloat)
    p = castElements(b, loc, p, b.getF32Type());
  Value hit = binary<tosa::GreaterOp>(b, loc, p, u, b.getI1Type());
  Type element = elementTypeFor(b, outType);
  op.setValue(0, element.isInteger(1) ? hit : castElements(b, loc, hit, element));
  return llvm::Error::success();
}

/// Multinomial: sample_size draws per row of [batch, classes] logits, int32
/// (default) or int64.
llvm::Error convertMultinomial(OpContext &op) {
  int32_t inType = dtypeFor(op.elementType(0));
  if (op.rank(0) != 2 || (inType != kFloat && inType != kDouble))
    return op.fail("input must be float32 or float64 [batch, classes], not " + dtypeName(inType) +
                   " " + shapeString(op.shape(0)));
  if (op.shape(0)[1] < 1)
    return op.fail("the input has no classes");
  int64_t samples = op.attrInt("sample_size", 1);
  if (samples < 1)
    return op.fail("sample_size must be positive, not " + llvm::Twine(samples));
  int32_t outType = static_cast<int32_t>(op.attrInt("dtype", kInt32));
  if (outType != kInt32 && outType != kInt64)
    return op.fail("dtype must be int32 or int64, not " + dtypeName(outType));
  auto sk = stateAndKey(op);
  if (!sk)
    return sk.takeError();
  OpBuilder &b = op.builder();
  Value logits = op.value(0);
  if (inType != kFloat)
    logits = castElements(b, op.loc(), logits, b.getF32Type());
  op.setValue(0, import::random(b, op.loc(),
                                tensorOf({op.shape(0)[0], samples}, elementTypeFor(b, outType)),
                                sk->first, "multinomial", sk->second, 0, 0, logits));
  return llvm::Error::success();
}

} // namespace

void registerRandomOps(OpTable &table) {
  for (const char *type :
       {"RandomUniform", "RandomUniformLike", "RandomNormal", "RandomNormalLike"})
    table.add(type, convertFloatRandom);
  table.add("Bernoulli", convertBernoulli);
  table.add("Multinomial", convertMultinomial);
}

} // namespace kiln::onnx_import
