//===- Random.cpp - RandomUniform, RandomStandardNormal, ... --------------===//
//
// The five sampling ops of TF.js's converter, each one tosa.custom
// "kiln.random" (compiler/import/common/Random.h) sampled from the
// context's seed and run counter: RandomUniform [0, 1) (times
// maxval - minval, plus minval, where TF.js's attributes say so),
// RandomStandardNormal, TruncatedNormal (within 2 std; TF.js's means and
// stddev attributes), RandomUniformInt [minval, maxval) (inputs as TF
// writes them, attributes as TF.js's op list does), Multinomial (logits
// [batch, classes], a known num_samples, int32 or int64 as output_dtype
// says). Shapes must be known at import. TF's seed and seed2 pick the op's
// stream (randomKey); both zero, TF's "unseeded", take it from the node's
// name. The numbers cannot match TF.js's (its generator is seedrandom's
// Alea in JavaScript): test/tfjs-ops checks them by their distribution.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Random.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <cstdint>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

uint32_t keyOf(OpContext &node) {
  return import::randomKey(node.attrs().getInt("seed", 0), node.attrs().getInt("seed2", 0),
                           node.node().name);
}

/// The output shape from input 0, which must be known.
llvm::Expected<std::vector<int64_t>> outputShape(OpContext &node) {
  if (!node.literal(0))
    return node.fail("the shape (input 0) must be known at import; Kiln's shapes are static");
  return node.constShape(0, "the shape");
}

llvm::Error convertFloatRandom(OpContext &node) {
  auto shape = outputShape(node);
  if (!shape)
    return shape.takeError();
  if (node.attrs().getType("dtype").value_or(DType::F32) != DType::F32)
    return node.fail("only float32 samples are supported");
  auto state = import::rngState(node.builder(), node.loc());
  if (!state)
    return node.fail(llvm::toString(state.takeError()));
  OpBuilder &b = node.builder();
  Type f32 = b.getF32Type();
  llvm::StringRef op = node.opType();
  const char *dist = op == "RandomUniform"          ? "uniform"
                     : op == "RandomStandardNormal" ? "normal"
                                                    : "truncated";
  Value out = import::random(b, node.loc(), tensorOf(*shape, f32), *state, dist, keyOf(node));
  // TF.js's own attributes (TF's ops have none): uniform in [minval, maxval),
  // the truncated normal's mean and standard deviation.
  double scale = 1, shift = 0;
  if (op == "RandomUniform") {
    shift = node.attrs().getFloat("minval", 0);
    scale = node.attrs().getFloat("maxval", 1) - shift;
  } else if (op == "TruncatedNormal") {
    shift = node.attrs().getFloat("means", 0);
    scale = node.attrs().getFloat("stddev", 1);
  }
  if (llvm::Error err = node.attrs().takeError())
    return err;
  if (scale != 1)
    out = mul(b, node.loc(), out, scalarLike(b, node.loc(), out, scale));
  if (shift != 0)
    out = binary<tosa::AddOp>(b, node.loc(), out, scalarLike(b, node.loc(), out, shift));
  node.setValue(0, out);
  return llvm::Error::success();
}

llvm::Error convertRandomUniformInt(OpContext &node) {
  auto shape = outputShape(node);
  if (!shape)
    return shape.takeError();
  int64_t lo = 0, hi = 0;
  if (node.numInputs() == 3) {
    for (int i : {1, 2}) {
      auto bound = node.constInts(i, i == 1 ? "minval" : "maxval");
      if (!bound)
        return bound.takeError();
      if (bound->size() != 1)
        return node.fail("minval and maxval must be scalars");
      (i == 1 ? lo : hi) = bound->front();
    }
  } else {
    if (!node.attrs().has("minval") || !node.attrs().has("maxval"))
      return node.fail("minval and maxval are needed (inputs 1 and 2, or attributes)");
    lo = node.attrs().getInt("minval", 0);
    hi = node.attrs().getInt("maxval", 0);
  }
  if (llvm::Error err = node.attrs().takeError())
    return err;
  if (node.numInputs() == 3 && node.dtype(1) != DType::I32)
    return node.fail("only int32 samples are supported");
  if (lo >= hi || lo < INT32_MIN || hi > int64_t(INT32_MAX) + 1)
    return node.fail("needs minval < maxval within int32, not [" + llvm::Twine(lo) + ", " +
                     llvm::Twine(hi) + ")");
  auto state = import::rngState(node.builder(), node.loc());
  if (!state)
    return node.fail(llvm::toString(state.takeError()));
  OpBuilder &b = node.builder();
  node.setValue(0, import::random(b, node.loc(), tensorOf(*shape, b.getI32Type()), *state, "int",
                                  keyOf(node), lo, hi));
  return llvm::Error::success();
}

llvm::Error convertMultinomial(OpContext &node) {
  if (node.rank(0) != 2 || node.dtype(0) != DType::F32)
    return node.fail("logits must be float32 [batch, classes], not " + dtypeName(node.dtype(0)) +
                     " " + shapeString(node.shape(0)));
  if (node.shape(0)[1] < 1)
    return node.fail("logits have no classes");
  auto samples = node.constInts(1, "num_samples");
  if (!samples)
    return samples.takeError();
  if (samples->size() != 1 || samples->front() < 1)
    return node.fail("num_samples must be one positive number");
  DType outType = node.attrs().getType("output_dtype").value_or(DType::I64);
  if (llvm::Error err = node.attrs().takeError())
    return err;
  if (outType != DType::I32 && outType != DType::I64)
    return node.fail("output_dtype must be int32 or int64");
  auto state = import::rngState(node.builder(), node.loc());
  if (!state)
    return node.fail(llvm::toString(state.takeError()));
  OpBuilder &b = node.builder();
  Type element = mlirTypeOf(b.getContext(), outType);
  node.setValue(0, import::random(b, node.loc(),
                                  tensorOf({node.shape(0)[0], samples->front()}, element), *state,
                                  "multinomial", keyOf(node), 0, 0, node.value(0)));
  return llvm::Error::success();
}

} // namespace

void registerRandomOps(OpTable &table) {
  for (const char *op : {"RandomUniform", "RandomStandardNormal", "TruncatedNormal"})
    table.add(op, convertFloatRandom, 1, 1);
  table.add("RandomUniformInt", convertRandomUniformInt, 1, 3);
  table.add("Multinomial", convertMultinomial, 2, 2);
}

} // namespace kiln::tfjs_import
