//===- Recurrent.cpp - RNN, LSTM, GRU --------------------------------------===//
//
// The sequence length is static, so each layer is unrolled over its time
// steps at import into plain TOSA, which the kernels phase then cuts into
// kernels like any other graph:
//  - the input projection of every step, X * W^T + Wb + Rb, is one matmul
//    over [seq * batch, input] (hoisted out of the time loop: the larger half
//    of the work becomes one big matmul instead of seq small ones);
//  - each step is then one recurrent matmul H * R^T (two for GRU without
//    linear_before_reset, whose candidate gate needs r * H first) with the
//    gate arithmetic as its elementwise consumers;
//  - sequence_lens (unless known to be all equal to the sequence length)
//    masks each step: a batch entry past its length keeps its state and
//    outputs zeros. A reverse direction walks every step from the last one,
//    which with the mask is ONNX's "start at sequence_lens - 1".
// Bidirectional layers run both directions and concatenate. Only float32.
//
// What it gives at phase kernels (measured on lit import/onnx/recurrent.test):
// per direction one kernel for the hoisted projection, then per step the
// recurrent matmul with its elementwise consumers plus the gate slices and
// activations that kernel formation keeps apart: an LSTM of 24 steps is 273
// kernels (about 11 per step), a bidirectional GRU of 16 steps 373; kernels
// of equal structure share one compiled function (docs/CONVENTIONS.md). At a
// machine load of 13, one thread, JIT medians of 30 runs: LSTM hidden 128 x
// 24 steps x batch 2 0.64 ms (ONNX Runtime 0.55 ms); bidirectional GRU
// hidden 256 x 16 x 4 6.6 ms (ONNX Runtime 5.3 ms).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringSwitch.h"
#include <limits>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

enum class Cell { Rnn, Lstm, Gru };

enum class Fn {
  Sigmoid,
  Tanh,
  Relu,
  Affine,
  LeakyRelu,
  ThresholdedRelu,
  ScaledTanh,
  HardSigmoid,
  Elu,
  Softsign,
  Softplus,
  Unknown
};

struct Activation {
  Fn fn;
  float alpha, beta;
};

// ONNX names its activation functions like its operators; runtimes compare
// them without case, and so does Kiln.
Fn parseFn(llvm::StringRef name) {
  return llvm::StringSwitch<Fn>(name.lower())
      .Case("sigmoid", Fn::Sigmoid)
      .Case("tanh", Fn::Tanh)
      .Case("relu", Fn::Relu)
      .Case("affine", Fn::Affine)
      .Case("leakyrelu", Fn::LeakyRelu)
      .Case("thresholdedrelu", Fn::ThresholdedRelu)
      .Case("scaledtanh", Fn::ScaledTanh)
      .Case("hardsigmoid", Fn::HardSigmoid)
      .Case("elu", Fn::Elu)
      .Case("softsign", Fn::Softsign)
      .Case("softplus", Fn::Softplus)
      .Default(Fn::Unknown);
}

bool takesAlpha(Fn fn) {
  return fn == Fn::Affine || fn == Fn::LeakyRelu || fn == Fn::ThresholdedRelu ||
         fn == Fn::ScaledTanh || fn == Fn::HardSigmoid || fn == Fn::Elu;
}
bool takesBeta(Fn fn) { return fn == Fn::Affine || fn == Fn::ScaledTanh || fn == Fn::HardSigmoid; }

// The defaults are those of the ONNX operators of the same names.
std::pair<float, float> defaults(Fn fn) {
  switch (fn) {
  case Fn::LeakyRelu:
    return {0.01f, 0.0f};
  case Fn::HardSigmoid:
    return {0.2f, 0.5f};
  case Fn::Affine:
    return {1.0f, 0.0f};
  default:
    return {1.0f, 1.0f};
  }
}

/// Everything one layer's steps need, read and checked once.
struct Layer {
  Cell cell;
  int gates; // 1, 4 (i, o, f, c) or 3 (z, r, h)
  int64_t seq, batch, input, hidden, dirs;
  bool reverseOnly = false;
  std::optional<float> clip;
  bool inputForget = false;
  bool linearBeforeReset = false;
  std::vector<Activation> acts; // per direction: cell's count, direction-major
  bool masked = false;          // sequence_lens can end a batch entry early
  std::vector<int64_t> lens;    // known lengths, or empty when a run-time input
};

struct Builder {
  OpContext &op;
  Layer &l;
  OpBuilder &b() { return op.builder(); }
  Location loc() { return op.loc(); }

  Value add(Value x, Value y) { return binary<tosa::AddOp>(b(), loc(), x, y); }
  Value sub(Value x, Value y) { return binary<tosa::SubOp>(b(), loc(), x, y); }
  Value mulv(Value x, Value y) { return mul(b(), loc(), x, y); }
  Value scalar(Value like, double v) { return scalarLike(b(), loc(), like, v); }
  // Gate `gate` of [1, batch, gates * H] values.
  Value cols(Value v, int64_t gate) {
    return slice(b(), loc(), v, {0, 0, gate * l.hidden}, {1, l.batch, l.hidden});
  }
  Value clipped(Value v) { return l.clip ? clamp(b(), loc(), v, -*l.clip, *l.clip) : v; }

  Value apply(const Activation &a, Value x) {
    OpBuilder &bb = b();
    Location lc = loc();
    auto i1 = bb.getI1Type();
    switch (a.fn) {
    case Fn::Sigmoid:
      return unary<tosa::SigmoidOp>(bb, lc, x);
    case Fn::Tanh:
      return unary<tosa::TanhOp>(bb, lc, x);
    case Fn::Relu:
      return clamp(bb, lc, x, 0.0, std::numeric_limits<float>::max());
    case Fn::Affine:
      return add(mulv(x, scalar(x, a.alpha)), scalar(x, a.beta));
    case Fn::LeakyRelu: {
      Value pos = binary<tosa::GreaterEqualOp>(bb, lc, x, scalar(x, 0.0), i1);
      return select(bb, lc, pos, x, mulv(x, scalar(x, a.alpha)));
    }
    case Fn::ThresholdedRelu: {
      Value above = binary<tosa::GreaterOp>(bb, lc, x, scalar(x, a.alpha), i1);
      return select(bb, lc, above, x, scalar(x, 0.0));
    }
    case Fn::ScaledTanh:
      return mulv(scalar(x, a.alpha), unary<tosa::TanhOp>(bb, lc, mulv(x, scalar(x, a.beta))));
    case Fn::HardSigmoid:
      return clamp(bb, lc, add(mulv(x, scalar(x, a.alpha)), scalar(x, a.beta)), 0.0, 1.0);
    case Fn::Elu: {
      Value pos = binary<tosa::GreaterEqualOp>(bb, lc, x, scalar(x, 0.0), i1);
      Value neg = mulv(scalar(x, a.alpha), sub(unary<tosa::ExpOp>(bb, lc, x), scalar(x, 1.0)));
      return select(bb, lc, pos, x, neg);
    }
    case Fn::Softsign:
      return mulv(
          x, unary<tosa::ReciprocalOp>(bb, lc, add(scalar(x, 1.0), unary<tosa::AbsOp>(bb, lc, x))));
    case Fn::Softplus: {
      // max(x, 0) + log(1 + exp(-|x|)): no overflow for large x.
      Value relu = clamp(bb, lc, x, 0.0, std::numeric_limits<float>::max());
      Value negAbs = sub(scalar(x, 0.0), unary<tosa::AbsOp>(bb, lc, x));
      return add(relu, unary<tosa::LogOp>(bb, lc,
                                          add(scalar(x, 1.0), unary<tosa::ExpOp>(bb, lc, negAbs))));
    }
    case Fn::Unknown:
      break;
    }
    return x;
  }

  // [1, m, k] x [1, k, n] -> [1, m, n]. Step values stay 3-D, as
  // tosa.matmul wants them, so that no step needs a reshape (each would be
  // a kernel of its own).
  Value matmul(Value x, Value wt) {
    auto xt = typeOf(x), wtt = typeOf(wt);
    return op.create<tosa::MatMulOp>(
        tensorOf({1, xt.getDimSize(1), wtt.getDimSize(2)}, xt.getElementType()), x, wt);
  }

  // Input `i`, sliced to `start`/`size`, transposed by `perm`, reshaped to
  // `shape`: on the host when the input is known (weights), else in TOSA.
  Value part(int i, llvm::ArrayRef<int64_t> start, llvm::ArrayRef<int64_t> size,
             llvm::ArrayRef<int64_t> perm, llvm::ArrayRef<int64_t> shape) {
    if (const Literal *lit = op.literal(i))
      return op.constant(lit->strided(start, llvm::SmallVector<int64_t>(start.size(), 1), size)
                             .transposed(perm)
                             .reshaped(shape.vec()),
                         op.inputName(i));
    Value v = slice(b(), loc(), op.value(i), start, size);
    return reshape(b(), loc(), transpose(b(), loc(), v, perm), shape);
  }

  // Whether batch entry b is still running at step t, as [1, batch, 1] i1.
  Value mask(int64_t t) {
    auto i1 = b().getI1Type();
    if (!l.lens.empty()) {
      llvm::SmallVector<bool> bits;
      for (int64_t len : l.lens)
        bits.push_back(t < len);
      auto type = tensorOf({1, l.batch, 1}, i1);
      return op.create<tosa::ConstOp>(type, DenseElementsAttr::get(type, llvm::ArrayRef(bits)));
    }
    Value lens = reshape(b(), loc(), castElements(b(), loc(), op.value(4), b().getI32Type()),
                         {1, l.batch, 1});
    Value tc = intConstant(b(), loc(), {t}, {1, 1, 1}, b().getI32Type());
    return binary<tosa::GreaterOp>(b(), loc(), lens, tc, i1);
  }

  // One direction; returns its Y as [seq, 1, batch, H] and final H and C.
  std::array<Value, 3> direction(int64_t d, bool reverse, Value x) {
    const int64_t h = l.hidden, g = l.gates, gh = g * h;
    const Activation *act = &l.acts[d * (l.cell == Cell::Rnn ? 1 : l.cell == Cell::Lstm ? 3 : 2)];
    bool lbr = l.cell == Cell::Gru && l.linearBeforeReset;
    Type f32 = b().getF32Type();

    // The input projection of every step at once, with the biases that do
    // not depend on the reset gate.
    Value wt = part(1, {d, 0, 0}, {1, gh, l.input}, {0, 2, 1}, {1, l.input, gh});
    Value xproj = matmul(x, wt); // [1, seq * batch, gh]
    Value rbh;                   // GRU with linear_before_reset: Rbh goes inside r * (...)
    if (op.hasInput(3)) {
      Value wb = part(3, {d, 0}, {1, gh}, {0, 1}, {1, gh});
      Value rb = part(3, {d, gh}, {1, gh}, {0, 1}, {1, gh});
      if (lbr) {
        rbh = slice(b(), loc(), rb, {0, 2 * h}, {1, h});
        rb = concat(b(), loc(),
                    {slice(b(), loc(), rb, {0, 0}, {1, 2 * h}),
                     splatConstant(b(), loc(), f32, 0.0, {1, h})},
                    1);
      }
      xproj = add(xproj, add(wb, rb));
    }
    xproj = reshape(b(), loc(), xproj, {l.seq, l.batch, gh});

    Value rt, rzrT, rhT;
    if (l.cell == Cell::Gru && !lbr) {
      rzrT = part(2, {d, 0, 0}, {1, 2 * h, h}, {0, 2, 1}, {1, h, 2 * h});
      rhT = part(2, {d, 2 * h, 0}, {1, h, h}, {0, 2, 1}, {1, h, h});
    } else {
      rt = part(2, {d, 0, 0}, {1, gh, h}, {0, 2, 1}, {1, h, gh});
    }
    Value pi, po, pf;
    if (l.cell == Cell::Lstm && op.hasInput(7)) {
      pi = part(7, {d, 0}, {1, h}, {0, 1}, {1, h});
      po = part(7, {d, h}, {1, h}, {0, 1}, {1, h});
      pf = part(7, {d, 2 * h}, {1, h}, {0, 1}, {1, h});
    }
    // Initial states arrive as [dirs, batch, H] (layout 0, transposed to it
    // for layout 1 by the caller).
    auto initial = [&](Value all) {
      if (!all)
        return splatConstant(b(), loc(), f32, 0.0, {1, l.batch, h});
      return slice(b(), loc(), all, {d, 0, 0}, {1, l.batch, h});
    };
    Value hs = initial(initialH), cs = initial(initialC);

    std::vector<Value> ys(l.seq);
    for (int64_t s = 0; s < l.seq; ++s) {
      int64_t t = reverse ? l.seq - 1 - s : s;
      Value xt = slice(b(), loc(), xproj, {t, 0, 0}, {1, l.batch, gh});
      Value hn, cn;
      if (l.cell == Cell::Rnn) {
        hn = apply(act[0], clipped(add(xt, matmul(hs, rt))));
      } else if (l.cell == Cell::Lstm) {
        Value gsum = add(xt, matmul(hs, rt));
        Value i = cols(gsum, 0), o = cols(gsum, 1), f = cols(gsum, 2), c = cols(gsum, 3);
        if (pi) {
          i = add(i, mulv(pi, cs));
          f = add(f, mulv(pf, cs));
        }
        i = apply(act[0], clipped(i));
        f = l.inputForget ? sub(scalar(i, 1.0), i) : apply(act[0], clipped(f));
        c = apply(act[1], clipped(c));
        cn = add(mulv(f, cs), mulv(i, c));
        if (po)
          o = add(o, mulv(po, cn));
        o = apply(act[0], clipped(o));
        hn = mulv(o, apply(act[2], cn));
      } else {
        Value z, r, cand;
        if (lbr) {
          Value hr = matmul(hs, rt);
          z = add(cols(xt, 0), cols(hr, 0));
          r = add(cols(xt, 1), cols(hr, 1));
          z = apply(act[0], clipped(z));
          r = apply(act[0], clipped(r));
          Value hh = cols(hr, 2);
          if (rbh)
            hh = add(hh, rbh);
          cand = add(cols(xt, 2), mulv(r, hh));
        } else {
          Value hr = matmul(hs, rzrT);
          z = apply(act[0], clipped(add(cols(xt, 0), cols(hr, 0))));
          r = apply(act[0], clipped(add(cols(xt, 1), cols(hr, 1))));
          cand = add(cols(xt, 2), matmul(mulv(r, hs), rhT));
        }
        cand = apply(act[1], clipped(cand));
        hn = add(cand, mulv(z, sub(hs, cand))); // (1 - z) * cand + z * H
      }
      Value y = hn;
      if (l.masked) {
        Value m = mask(t);
        hn = select(b(), loc(), m, hn, hs);
        if (cn)
          cn = select(b(), loc(), m, cn, cs);
        y = select(b(), loc(), m, y, splatConstant(b(), loc(), f32, 0.0, {1, l.batch, h}));
      }
      hs = hn;
      cs = cn;
      ys[t] = y;
    }
    return {reshape(b(), loc(), concat(b(), loc(), ys, 0), {l.seq, 1, l.batch, h}), hs, cs};
  }

  Value initialH, initialC;
};

llvm::Error convertRecurrent(OpContext &op, Cell cell) {
  Layer l;
  l.cell = cell;
  l.gates = cell == Cell::Rnn ? 1 : cell == Cell::Lstm ? 4 : 3;
  int perDir = cell == Cell::Rnn ? 1 : cell == Cell::Lstm ? 3 : 2;
  std::string direction = op.attrString("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return op.fail("unknown direction '" + direction + "'");
  l.dirs = direction == "bidirectional" ? 2 : 1;
  l.reverseOnly = direction == "reverse";
  int64_t layout = op.attrInt("layout", 0);
  if (layout != 0 && layout != 1)
    return op.fail("layout must be 0 or 1, not " + llvm::Twine(layout));
  if (op.rank(0) != 3 || !op.elementType(0).isF32())
    return op.fail("X must be a 3-D float32 tensor (Kiln's recurrent layers are float32 only)");
  llvm::ArrayRef<int64_t> xs = op.shape(0);
  l.seq = layout ? xs[1] : xs[0];
  l.batch = layout ? xs[0] : xs[1];
  l.input = xs[2];
  if (op.rank(2) != 3)
    return op.fail("R must be 3-D");
  l.hidden = op.attrInt("hidden_size", op.shape(2)[2]);
  // Checked before any product: hidden_size = -2^63 overflowed gates * hidden
  // (UBSan, found by the onnx fuzz target).
  if (l.hidden <= 0 || l.hidden > std::numeric_limits<int32_t>::max() / 4)
    return op.fail("hidden_size must be between 1 and 2^29, not " + llvm::Twine(l.hidden));
  const int64_t h = l.hidden, gh = l.gates * h;
  auto expect = [&](int i, llvm::ArrayRef<int64_t> shape, llvm::StringRef what) -> llvm::Error {
    if (op.hasInput(i) && op.shape(i) != shape)
      return op.fail(what + " has shape " + shapeString(op.shape(i)) + ", expected " +
                     shapeString(shape));
    return llvm::Error::success();
  };
  llvm::SmallVector<int64_t> stateShape = layout ? llvm::SmallVector<int64_t>{l.batch, l.dirs, h}
                                                 : llvm::SmallVector<int64_t>{l.dirs, l.batch, h};
  if (auto err = expect(1, {l.dirs, gh, l.input}, "W"))
    return err;
  if (auto err = expect(2, {l.dirs, gh, h}, "R"))
    return err;
  if (auto err = expect(3, {l.dirs, 2 * gh}, "B"))
    return err;
  if (auto err = expect(4, {l.batch}, "sequence_lens"))
    return err;
  if (auto err = expect(5, stateShape, "initial_h"))
    return err;
  if (cell == Cell::Lstm) {
    if (auto err = expect(6, stateShape, "initial_c"))
      return err;
    if (auto err = expect(7, {l.dirs, 3 * h}, "P"))
      return err;
  }
  for (int i = 1; i < op.numInputs(); ++i)
    if (op.hasInput(i) && i != 4 && !op.elementType(i).isF32())
      return op.fail("input " + llvm::Twine(i) + " must be float32");
  if (op.hasAttr("clip"))
    l.clip = op.attrFloat("clip", 0.0f);
  l.inputForget = cell == Cell::Lstm && op.attrInt("input_forget", 0);
  l.linearBeforeReset = cell == Cell::Gru && op.attrInt("linear_before_reset", 0);

  // Activations: per direction, in the cell's order; one direction's list
  // for a bidirectional layer serves both.
  std::vector<std::string> names;
  if (const onnx::AttributeProto *a = op.attr("activations"))
    names.assign(a->strings().begin(), a->strings().end());
  else if (cell == Cell::Rnn)
    names = {"Tanh"};
  else if (cell == Cell::Lstm)
    names = {"Sigmoid", "Tanh", "Tanh"};
  else
    names = {"Sigmoid", "Tanh"};
  if (names.size() == static_cast<size_t>(perDir) && l.dirs == 2) {
    std::vector<std::string> one = names; // inserting a range of itself is undefined
    names.insert(names.end(), one.begin(), one.end());
  }
  if (names.size() != static_cast<size_t>(perDir * l.dirs))
    return op.fail("expected " + llvm::Twine(perDir * l.dirs) + " activations, got " +
                   llvm::Twine(names.size()));
  std::vector<float> alphas = op.attrFloats("activation_alpha");
  std::vector<float> betas = op.attrFloats("activation_beta");
  size_t ai = 0, bi = 0;
  for (const std::string &name : names) {
    Fn fn = parseFn(name);
    if (fn == Fn::Unknown)
      return op.fail("unknown activation '" + name + "'");
    auto [alpha, beta] = defaults(fn);
    if (takesAlpha(fn) && ai < alphas.size())
      alpha = alphas[ai++];
    if (takesBeta(fn) && bi < betas.size())
      beta = betas[bi++];
    l.acts.push_back({fn, alpha, beta});
  }

  if (op.hasInput(4)) {
    if (const Literal *lens = op.literal(4)) {
      l.lens = lens->toInts();
      for (int64_t len : l.lens)
        if (len < 0 || len > l.seq)
          return op.fail("sequence_lens holds " + llvm::Twine(len) + ", outside [0, " +
                         llvm::Twine(l.seq) + "]");
      l.masked = llvm::any_of(l.lens, [&](int64_t len) { return len != l.seq; });
    } else {
      l.masked = true;
    }
  }

  Builder bd{op, l, Value(), Value()};
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  Value x = op.value(0);
  if (layout)
    x = transpose(b, loc, x, {1, 0, 2});
  x = reshape(b, loc, x, {1, l.seq * l.batch, l.input});
  auto state = [&](int i) -> Value {
    if (!op.hasInput(i))
      return Value();
    Value v = op.value(i);
    return layout ? transpose(b, loc, v, {1, 0, 2}) : v;
  };
  bd.initialH = state(5);
  if (cell == Cell::Lstm)
    bd.initialC = state(6);

  llvm::SmallVector<Value> ys, hs, cs;
  for (int64_t d = 0; d < l.dirs; ++d) {
    auto [y, hN, cN] = bd.direction(d, l.reverseOnly || d == 1, x);
    ys.push_back(y);
    hs.push_back(hN);
    cs.push_back(cN);
  }
  Value y = concat(b, loc, ys, 1);  // [seq, dirs, batch, H]
  Value yh = concat(b, loc, hs, 0); // [dirs, batch, H]
  Value yc = cell == Cell::Lstm ? concat(b, loc, cs, 0) : Value();
  if (layout) {
    y = transpose(b, loc, y, {2, 0, 1, 3});
    yh = transpose(b, loc, yh, {1, 0, 2});
    if (yc)
      yc = transpose(b, loc, yc, {1, 0, 2});
  }
  if (op.hasOutput(0))
    op.setValue(0, y);
  if (op.hasOutput(1))
    op.setValue(1, yh);
  if (cell == Cell::Lstm && op.hasOutput(2))
    op.setValue(2, yc);
  return llvm::Error::success();
}

llvm::Error convertRnn(OpContext &op) { return convertRecurrent(op, Cell::Rnn); }
llvm::Error convertLstm(OpContext &op) { return convertRecurrent(op, Cell::Lstm); }
llvm::Error convertGru(OpContext &op) { return convertRecurrent(op, Cell::Gru); }

} // namespace

void registerRecurrentOps(OpTable &table) {
  table.add("RNN", convertRnn);
  table.add("LSTM", convertLstm);
  table.add("GRU", convertGru);
}

} // namespace kiln::onnx_import
