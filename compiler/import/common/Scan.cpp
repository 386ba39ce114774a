//===- Scan.cpp - cumulative sums and products along an axis --------------===//
#include "compiler/import/common/Scan.h"

#include "compiler/import/common/TosaBuilders.h"
#include "compiler/support/Error.h"

using namespace mlir;

namespace kiln::import {

llvm::Expected<Value> cumulative(OpBuilder &b, Location loc, Value x, int64_t axis,
                                 CumulativeOptions options) {
  RankedTensorType type = typeOf(x);
  if (type.getElementType().isInteger(1))
    return makeError("a cumulative op over bool is not supported");
  llvm::ArrayRef<int64_t> shape = type.getShape();
  int64_t n = shape[axis];
  if (n > kMaxScan)
    return makeError("axis " + llvm::Twine(axis) + " has " + llvm::Twine(n) +
                     " elements; Kiln scans up to " + llvm::Twine(kMaxScan));
  std::vector<int64_t> begin(shape.size(), 0), size(shape.begin(), shape.end());
  size[axis] = 1;
  std::vector<Value> out(n);
  Value acc;
  for (int64_t step = 0; step < n; ++step) {
    int64_t i = options.reverse ? n - 1 - step : step;
    begin[axis] = i;
    Value s = slice(b, loc, x, begin, size);
    Value next = !acc              ? s
                 : options.product ? mul(b, loc, acc, s)
                                   : binary<tosa::AddOp>(b, loc, acc, s);
    if (options.exclusive)
      out[i] =
          acc ? acc : splatConstant(b, loc, type.getElementType(), options.product ? 1 : 0, size);
    else
      out[i] = next;
    acc = next;
  }
  return out.size() == 1 ? out[0] : concat(b, loc, out, axis);
}

} // namespace kiln::import
