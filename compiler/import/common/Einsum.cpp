//===- Einsum.cpp - Einsum over TOSA ---------------------------------------===//
#include "compiler/import/common/Einsum.h"

#include "compiler/import/common/Shapes.h"
#include "compiler/import/common/TosaBuilders.h"
#include "compiler/support/Error.h"

#include <algorithm>
#include <map>

using namespace mlir;

namespace kiln::import {
namespace {

// A label is a letter's code, or kEllipsis + k for the k-th broadcast
// dimension an ellipsis stands for (counted from the left of the widest).
using Labels = std::vector<int>;
constexpr int kEllipsis = 256;

bool contains(const Labels &ls, int l) { return std::find(ls.begin(), ls.end(), l) != ls.end(); }

int64_t position(const Labels &ls, int l) {
  return std::find(ls.begin(), ls.end(), l) - ls.begin();
}

// One term's letters, with the ellipsis as -1; an error for anything else.
llvm::Expected<Labels> parseTerm(llvm::StringRef term, llvm::StringRef equation) {
  Labels out;
  bool ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    char c = term[i];
    if (term.substr(i).starts_with("...")) {
      if (ellipsis)
        return makeError("equation '" + equation + "': a term has two ellipses");
      ellipsis = true;
      out.push_back(-1);
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      out.push_back(c);
    } else {
      return makeError("equation '" + equation + "': '" + llvm::Twine(c) + "' is not a label");
    }
  }
  return out;
}

// Replaces the ellipsis of a term (for a tensor of `rank`) by its labels.
llvm::Expected<Labels> expand(const Labels &term, int64_t rank, int64_t widest,
                              llvm::StringRef equation, int operand) {
  Labels out;
  int64_t letters = std::count_if(term.begin(), term.end(), [](int l) { return l >= 0; });
  bool ellipsis = contains(term, -1);
  int64_t covered = rank - letters;
  if (covered < 0 || (!ellipsis && covered != 0))
    return makeError("equation '" + equation + "': operand " + llvm::Twine(operand) + " has rank " +
                     llvm::Twine(rank) + ", not the " + llvm::Twine(letters) +
                     " labels its term has");
  for (int l : term) {
    if (l >= 0) {
      out.push_back(l);
      continue;
    }
    for (int64_t k = 0; k < covered; ++k)
      out.push_back(kEllipsis + static_cast<int>(widest - covered + k));
  }
  return out;
}

std::vector<int64_t> shapeOf(Value v) {
  llvm::ArrayRef<int64_t> s = typeOf(v).getShape();
  return {s.begin(), s.end()};
}

// Takes the diagonal of every label `v` repeats.
Value diagonals(OpBuilder &b, Location loc, Value v, Labels &labels) {
  for (size_t p = 0; p < labels.size(); ++p) {
    for (size_t q = p + 1; q < labels.size();) {
      if (labels[q] != labels[p]) {
        ++q;
        continue;
      }
      std::vector<int64_t> shape = shapeOf(v);
      int64_t n = shape[p];
      std::vector<int64_t> maskShape(shape.size(), 1);
      maskShape[p] = maskShape[q] = n;
      // The identity over dimensions p and q, row-major in that order.
      std::vector<int64_t> eye(n * n, 0);
      for (int64_t i = 0; i < n; ++i)
        eye[i * n + i] = 1;
      Type element = typeOf(v).getElementType();
      Value mask =
          isa<FloatType>(element)
              ? castElements(b, loc, intConstant(b, loc, eye, maskShape, b.getI32Type()), element)
              : intConstant(b, loc, eye, maskShape, element);
      v = reduce<tosa::ReduceSumOp>(b, loc, mul(b, loc, v, mask), q);
      shape.erase(shape.begin() + q);
      v = reshape(b, loc, v, shape);
      labels.erase(labels.begin() + q);
    }
  }
  return v;
}

// `v` with every label not in `keep` summed away.
Value sumAway(OpBuilder &b, Location loc, Value v, Labels &labels, const Labels &keep) {
  Labels kept;
  std::vector<int64_t> shape;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (contains(keep, labels[i])) {
      kept.push_back(labels[i]);
      shape.push_back(typeOf(v).getShape()[i]);
    } else {
      v = reduce<tosa::ReduceSumOp>(b, loc, v, i);
    }
  }
  labels = kept;
  return reshape(b, loc, v, shape);
}

Value permute(OpBuilder &b, Location loc, Value v, const Labels &labels, const Labels &order) {
  std::vector<int64_t> perm;
  for (int l : order)
    perm.push_back(position(labels, l));
  return transpose(b, loc, v, perm);
}

// `v` tiled up to `shape` (same rank, each dimension equal or 1).
Value broadcastTo(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> have = shapeOf(v), multiples;
  if (llvm::ArrayRef<int64_t>(have) == shape)
    return v;
  for (size_t d = 0; d < shape.size(); ++d)
    multiples.push_back(shape[d] / have[d]);
  return b
      .create<tosa::TileOp>(loc, tensorOf(shape, typeOf(v).getElementType()), v,
                            b.getDenseI64ArrayAttr(multiples))
      .getResult();
}

// a (labels la) times b (labels lb), summed over the labels both hold and
// `keep` lacks; the result's labels are batch, then a's, then b's own.
llvm::Expected<Value> contract(OpBuilder &b, Location loc, Value x, Labels &lx, Value y,
                               const Labels &ly, const Labels &keep, llvm::StringRef equation) {
  Labels batch, reduced, freeX, freeY;
  for (int l : lx)
    (contains(ly, l) ? (contains(keep, l) ? batch : reduced) : freeX).push_back(l);
  for (int l : ly)
    if (!contains(lx, l))
      freeY.push_back(l);
  // Shared labels may broadcast (size 1 against n); both sides tile to n.
  std::map<int, int64_t> size;
  for (int i = 0; i < 2; ++i) {
    const Labels &ls = i ? ly : lx;
    std::vector<int64_t> s = shapeOf(i ? y : x);
    for (size_t d = 0; d < ls.size(); ++d) {
      auto [it, fresh] = size.emplace(ls[d], s[d]);
      if (!fresh && it->second != s[d]) {
        if (it->second != 1 && s[d] != 1)
          return makeError("equation '" + equation + "': a label has sizes " +
                           llvm::Twine(it->second) + " and " + llvm::Twine(s[d]));
        it->second = std::max(it->second, s[d]);
      }
    }
  }
  auto sizes = [&](const Labels &ls) {
    std::vector<int64_t> out;
    for (int l : ls)
      out.push_back(size[l]);
    return out;
  };
  auto count = [&](const Labels &ls) { return numElements(sizes(ls)); };
  Labels xOrder = batch, yOrder = batch;
  xOrder.insert(xOrder.end(), freeX.begin(), freeX.end());
  xOrder.insert(xOrder.end(), reduced.begin(), reduced.end());
  yOrder.insert(yOrder.end(), reduced.begin(), reduced.end());
  yOrder.insert(yOrder.end(), freeY.begin(), freeY.end());
  x = broadcastTo(b, loc, permute(b, loc, x, lx, xOrder), sizes(xOrder));
  y = broadcastTo(b, loc, permute(b, loc, y, ly, yOrder), sizes(yOrder));
  int64_t nb = count(batch), m = count(freeX), k = count(reduced), n = count(freeY);
  Labels joined = batch;
  joined.insert(joined.end(), freeX.begin(), freeX.end());
  joined.insert(joined.end(), freeY.begin(), freeY.end());
  Type element = typeOf(x).getElementType();
  Value r;
  if (element.isF32()) {
    r = b.create<tosa::MatMulOp>(loc, tensorOf({nb, m, n}, element), reshape(b, loc, x, {nb, m, k}),
                                 reshape(b, loc, y, {nb, k, n}))
            .getResult();
  } else {
    // tosa.matmul takes float32 (or narrow integers widening to int32):
    // other types multiply [B, M, 1, K] by [B, 1, N, K] and sum over K.
    if (nb * m * n * k > kMaxEinsumElements)
      return makeError("equation '" + equation + "': the " + llvm::Twine(nb * m * n * k) +
                       "-element product of a non-float32 contraction is above Kiln's " +
                       llvm::Twine(kMaxEinsumElements));
    Value xs = reshape(b, loc, x, {nb, m, 1, k});
    Value ys = transpose(b, loc, reshape(b, loc, y, {nb, k, n}), {0, 2, 1});
    ys = reshape(b, loc, ys, {nb, 1, n, k});
    r = reduce<tosa::ReduceSumOp>(b, loc, mul(b, loc, xs, ys), 3);
  }
  lx = joined;
  return reshape(b, loc, r, sizes(joined));
}

} // namespace

llvm::Expected<Value> einsum(OpBuilder &b, Location loc, llvm::StringRef equation,
                             llvm::ArrayRef<Value> operands) {
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq += c;
  llvm::StringRef text(eq);
  size_t arrow = text.find("->");
  llvm::SmallVector<llvm::StringRef> terms;
  text.substr(0, arrow).split(terms, ',');
  if (terms.size() != operands.size())
    return makeError("equation '" + equation + "' has " + llvm::Twine(terms.size()) +
                     " operand terms for " + llvm::Twine(operands.size()) + " operands");
  Type element = typeOf(operands[0]).getElementType();
  if (element.isInteger(1))
    return makeError("Einsum over bool is not supported");
  int64_t widest = 0;
  std::vector<Labels> parsed;
  for (auto [i, term] : llvm::enumerate(terms)) {
    if (typeOf(operands[i]).getElementType() != element)
      return makeError("Einsum operands must have one element type");
    auto ls = parseTerm(term, equation);
    if (!ls)
      return ls.takeError();
    int64_t letters = std::count_if(ls->begin(), ls->end(), [](int l) { return l >= 0; });
    widest = std::max(widest, typeOf(operands[i]).getRank() - letters);
    parsed.push_back(std::move(*ls));
  }
  std::vector<Labels> labels;
  for (auto [i, term] : llvm::enumerate(parsed)) {
    auto ls = expand(term, typeOf(operands[i]).getRank(), widest, equation, i);
    if (!ls)
      return ls.takeError();
    labels.push_back(std::move(*ls));
  }
  Labels out;
  if (arrow != llvm::StringRef::npos) {
    auto term = parseTerm(text.substr(arrow + 2), equation);
    if (!term)
      return term.takeError();
    for (int l : *term) {
      if (l < 0) {
        for (int64_t k = 0; k < widest; ++k)
          out.push_back(kEllipsis + k);
        continue;
      }
      if (contains(out, l))
        return makeError("equation '" + equation + "': output label '" + llvm::Twine(char(l)) +
                         "' is repeated");
      if (std::none_of(labels.begin(), labels.end(),
                       [&](const Labels &ls) { return contains(ls, l); }))
        return makeError("equation '" + equation + "': output label '" + llvm::Twine(char(l)) +
                         "' is in no operand");
      out.push_back(l);
    }
  } else {
    for (int64_t k = 0; k < widest; ++k)
      out.push_back(kEllipsis + k);
    std::map<int, int> uses;
    for (const Labels &ls : labels)
      for (int l : ls)
        uses[l]++;
    for (auto [l, n] : uses) // std::map: alphabetical
      if (l < kEllipsis && n == 1)
        out.push_back(l);
  }
  // Diagonals, then each operand's labels that nothing else needs.
  std::vector<Value> values(operands.begin(), operands.end());
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = diagonals(b, loc, values[i], labels[i]);
    Labels keep = out;
    for (size_t j = 0; j < labels.size(); ++j)
      if (j != i)
        keep.insert(keep.end(), labels[j].begin(), labels[j].end());
    values[i] = sumAway(b, loc, values[i], labels[i], keep);
  }
  Value acc = values[0];
  Labels accLabels = labels[0];
  for (size_t i = 1; i < values.size(); ++i) {
    Labels keep = out;
    for (size_t j = i + 1; j < labels.size(); ++j)
      keep.insert(keep.end(), labels[j].begin(), labels[j].end());
    auto r = contract(b, loc, acc, accLabels, values[i], labels[i], keep, equation);
    if (!r)
      return r.takeError();
    acc = *r;
  }
  // Broadcast labels the output drops were summed; a shared one of size 1
  // against n stays as contract made it.
  acc = sumAway(b, loc, acc, accLabels, out);
  return permute(b, loc, acc, accLabels, out);
}

} // namespace kiln::import
