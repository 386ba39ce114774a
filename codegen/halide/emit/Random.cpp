//===- Random.cpp - tosa.custom "kiln.random": counter-based sampling -----===//
//
// tosa.custom "kiln.random" (compiler/import/common/Random.h) with
// implementation_attrs "dist=<d>;key=<k>[;lo=<a>;hi=<b>]": operands (state)
// or, for dist=multinomial, (state, logits); one result. `state` is the
// context's int32 [4] (seed low, seed high, run low, run high; runtime/
// kiln_host.h), bound by the host to every kernel that samples.
//
// Each output element is a pure function of (seed, op key, run, element
// index): Philox4x32-10 (Salmon et al., SC'11, as TensorFlow and JAX use it)
// with key = the 64-bit seed and counter = (linear element index, op key,
// run low, run high). No state in the kernel, so it vectorises and splits
// across threads like any elementwise kernel, and every target computes the
// same words (32-bit integer multiplies only).
//
// From the block's words w0, w1:
//   uniform      [0, 1): the float 1.m with w0's top 23 bits as m, minus 1
//   normal       Box-Muller: sqrt(-2 log u1) cos(2 pi u2), u1 in (0, 1]
//   truncated    the normal within 2 std by its inverse CDF:
//                sqrt(2) erfinv(erf(sqrt(2)) (2u - 1)) (Giles' single
//                precision erfinv; the argument stays on its first branch)
//   int          lo + (w0 * (hi - lo)) >> 32: [lo, hi), bias < (hi-lo)/2^32
//   multinomial  [batch, samples] from logits [batch, classes]: u * total
//                against the running sum of exp(logit - max), by count
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <optional>

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

struct RandomAttrs {
  std::string dist;
  uint32_t key = 0;
  int64_t lo = 0, hi = 0;
};

std::optional<RandomAttrs> parseRandom(llvm::StringRef text) {
  RandomAttrs a;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ';');
  bool haveKey = false;
  for (llvm::StringRef part : parts) {
    auto [name, value] = part.split('=');
    uint64_t u = 0;
    int64_t s = 0;
    if (name == "dist") {
      a.dist = value.str();
    } else if (name == "key" && !value.getAsInteger(10, u) && u <= 0xffffffffu) {
      a.key = static_cast<uint32_t>(u);
      haveKey = true;
    } else if (name == "lo" && !value.getAsInteger(10, s)) {
      a.lo = s;
    } else if (name == "hi" && !value.getAsInteger(10, s)) {
      a.hi = s;
    } else {
      return std::nullopt;
    }
  }
  if (!haveKey)
    return std::nullopt;
  return a;
}

// Halide 14's Expr has no unsigned constructors.
Expr u32(uint32_t v) { return Halide::Internal::UIntImm::make(Halide::UInt(32), v); }
Expr u64(uint64_t v) { return Halide::Internal::UIntImm::make(Halide::UInt(64), v); }

/// Philox4x32-10's first two words for `counter` under key (k0, k1), as
/// one let-chain so that the expression stays linear in the rounds.
class Philox {
public:
  explicit Philox(std::string prefix) : prefix(std::move(prefix)) {}

  std::pair<Expr, Expr> words(std::array<Expr, 4> c, Expr k0, Expr k1) {
    const Expr m0 = u64(0xD2511F53u);
    const Expr m1 = u64(0xCD9E8D57u);
    for (int round = 0; round < 10; ++round) {
      if (round) {
        k0 = bind(k0 + u32(0x9E3779B9u));
        k1 = bind(k1 + u32(0xBB67AE85u));
      }
      Expr p0 = bind(m0 * Halide::cast<uint64_t>(c[0]));
      Expr p1 = bind(m1 * Halide::cast<uint64_t>(c[2]));
      Expr hi0 = Halide::cast<uint32_t>(p0 >> 32), lo0 = Halide::cast<uint32_t>(p0);
      Expr hi1 = Halide::cast<uint32_t>(p1 >> 32), lo1 = Halide::cast<uint32_t>(p1);
      c = {bind(hi1 ^ c[1] ^ k0), bind(lo1), bind(hi0 ^ c[3] ^ k1), bind(lo0)};
    }
    return {c[0], c[1]};
  }

  /// `body` inside every let made so far.
  Expr wrap(Expr body) const {
    for (auto it = lets.rbegin(); it != lets.rend(); ++it)
      body = Halide::Internal::Let::make(it->first, it->second, body);
    return body;
  }

private:
  Expr bind(Expr value) {
    std::string name = prefix + "_" + std::to_string(lets.size());
    lets.push_back({name, value});
    return Halide::Internal::Variable::make(value.type(), name);
  }

  std::string prefix;
  std::vector<std::pair<std::string, Expr>> lets;
};

/// 24 random bits of `w` as a float in [0, 1) (plus `offset` ulps of 2^-24).
Expr unit24(Expr w, float offset) {
  return (Halide::cast<float>(w >> 8) + offset) * (1.0f / 16777216.0f);
}

/// Giles' single-precision erfinv, first branch (|x| <= 0.9966).
Expr erfinvCentral(Expr x) {
  Expr w = -Halide::log((1.0f - x) * (1.0f + x)) - 2.5f;
  static const float coeffs[] = {3.43273939e-07f, -3.5233877e-06f, -4.39150654e-06f, 0.00021858087f,
                                 -0.00125372503f, -0.00417768164f, 0.246640727f,     1.50140941f};
  Expr p = Expr(2.81022636e-08f);
  for (float c : coeffs)
    p = c + p * w;
  return p * x;
}

llvm::Error emitRandom(tosa::CustomOp custom, EmitContext &ctx) {
  Operation *op = custom;
  auto attrs = parseRandom(custom.getImplementationAttrs());
  if (!attrs)
    return opError(op, "kiln.random needs implementation_attrs \"dist=<d>;key=<k>[;lo=..;hi=..]\"");
  bool multinomial = attrs->dist == "multinomial";
  if (op->getNumOperands() != (multinomial ? 2u : 1u) || op->getNumResults() != 1)
    return opError(op, "kiln.random takes (state) or, multinomial, (state, logits)");
  // Copies: binding the result may move the context's map.
  const HTensor state = ctx.lookup(op->getOperand(0));
  if (state.shape != std::vector<int64_t>{4} || state.type != Halide::Int(32))
    return opError(op, "kiln.random's state must be int32 [4]");
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  auto type = halideType(cast<ShapedType>(op->getResult(0).getType()).getElementType());
  if (!type)
    return opError(op, llvm::toString(type.takeError()));
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  if (count > (int64_t(1) << 32))
    return opError(op, "kiln.random: more than 2^32 elements");

  auto word = [&](int i) { return Halide::reinterpret<uint32_t>(state.at({Expr(i)})); };
  std::string prefix = ctx.newFunc("philox").name();
  auto block = [&](const std::vector<Expr> &idx, Philox &philox) {
    Expr linear = Halide::cast<uint32_t>(0);
    for (size_t d = 0; d < idx.size(); ++d)
      linear = linear * u32(uint32_t(shape[d])) + Halide::cast<uint32_t>(idx[d]);
    return philox.words({linear, u32(attrs->key), word(2), word(3)}, word(0), word(1));
  };

  if (multinomial) {
    const HTensor logits = ctx.lookup(op->getOperand(1));
    if (logits.rank() != 2 || shape.size() != 2 || logits.shape[0] != shape[0] ||
        logits.type != Halide::Float(32) || !type->is_int())
      return opError(op, "kiln.random multinomial: logits float32 [batch, classes] to int "
                         "[batch, samples]");
    int classes = static_cast<int>(logits.shape[1]);
    Halide::Var c("c"), b("b");
    Halide::RDom all(0, classes);
    Halide::Func top = ctx.newFunc("multinomial_max");
    top(b) = Halide::maximum(logits.at({b, all}));
    Halide::Func cdf = ctx.newFunc("multinomial_cdf");
    Expr weight = Halide::exp(logits.at({b, c}) - top(b));
    cdf(c, b) = Halide::select(c == 0, weight, 0.0f);
    if (classes > 1) {
      Halide::RDom scan(1, classes - 1);
      cdf(scan, b) = cdf(scan - 1, b) + Halide::exp(logits.at({b, scan}) - top(b));
    }
    // A scan, read by every sample: computed once.
    top.compute_root();
    cdf.compute_root();
    // The sample's point in [0, total): a let-chain cannot sit inside an
    // inline reduction (its variables are not the Func's), so a Func of its own.
    Halide::Var s("s");
    Halide::Func target = ctx.newFunc("multinomial_target");
    {
      Philox philox(prefix);
      Expr w0 = block({b, s}, philox).first;
      target(s, b) = philox.wrap(unit24(w0, 0.0f) * cdf(classes - 1, b));
    }
    target.compute_root(); // else inlined into the count, once per class
    Halide::RDom r(0, classes);
    return ctx.definePure(op->getResult(0), "multinomial", [&](const std::vector<Expr> &i) -> Expr {
      Expr below = Halide::sum(Halide::select(cdf(r, i[0]) <= target(i[1], i[0]), 1, 0));
      return Halide::cast(*type, Halide::min(below, classes - 1));
    });
  }

  if (attrs->dist == "int") {
    if (*type != Halide::Int(32) || attrs->hi <= attrs->lo ||
        attrs->hi - attrs->lo > int64_t(0xffffffffu))
      return opError(op, "kiln.random int: int32 output and lo < hi");
  } else if (*type != Halide::Float(32)) {
    return opError(op, "kiln.random " + attrs->dist + ": float32 output");
  }
  const std::string &dist = attrs->dist;
  if (dist != "uniform" && dist != "normal" && dist != "truncated" && dist != "int")
    return opError(op, "kiln.random: unknown dist '" + dist + "'");
  int64_t lo = attrs->lo;
  uint32_t range = static_cast<uint32_t>(attrs->hi - attrs->lo);
  return ctx.definePure(op->getResult(0), "random", [&](const std::vector<Expr> &i) -> Expr {
    Philox philox(prefix);
    auto [w0, w1] = block(i, philox);
    Expr value;
    if (dist == "uniform") {
      value = Halide::reinterpret<float>((w0 >> 9) | u32(0x3f800000u)) - 1.0f;
    } else if (dist == "normal") {
      Expr radius = Halide::sqrt(-2.0f * Halide::log(unit24(w0, 1.0f)));
      value = radius * Halide::cos(float(2 * M_PI) * unit24(w1, 0.0f));
    } else if (dist == "truncated") {
      const float erfTwo = 0.954499736f; // erf(sqrt(2)): P(|z| < 2)
      Expr u = unit24(w0, 0.5f);         // (0, 1), never an end
      value = float(M_SQRT2) * erfinvCentral(erfTwo * (2.0f * u - 1.0f));
    } else {
      Expr scaled = (Halide::cast<uint64_t>(w0) * u64(range)) >> 32;
      value = Halide::cast<int32_t>(Halide::cast<int64_t>(scaled) +
                                    Halide::Internal::IntImm::make(Halide::Int(64), lo));
    }
    return philox.wrap(value);
  });
}

} // namespace

void registerRandomEmitters(EmitterTable &table) {
  table["tosa.custom:kiln.random"] = [](Operation *op, EmitContext &ctx) -> llvm::Error {
    return emitRandom(cast<tosa::CustomOp>(op), ctx);
  };
}

} // namespace kiln::codegen
