//===- Pool.cpp - MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool --===//
//
// TOSA pools are NHWC and 2-D: the input is wrapped in explicit transposes and
// 1-D pools run with a unit height. TOSA's avg_pool2d never counts padding,
// which is ONNX's count_include_pad = 0; for count_include_pad = 1 the
// explicit pads become a zero tosa.pad first. ceil_mode's extra end padding
// is counted by neither (as in ONNX Runtime). 3-D and dilated pools and
// MaxPool's Indices go tap by tap instead (ops/PoolTaps.h).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/import/onnx/ops/PoolTaps.h"
#include "compiler/import/onnx/ops/Window.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// The input as NHWC, 1-D inputs ([N, C, L]) with a unit height.
llvm::Expected<Value> poolInput(OpContext &op) {
  int64_t rank = op.rank(0);
  if (rank != 3 && rank != 4)
    return op.fail("only 1-D, 2-D and 3-D pooling is supported (input rank " + llvm::Twine(rank) +
                   ")");
  llvm::SmallVector<int64_t> shape(op.shape(0));
  if (rank == 3)
    shape.insert(shape.begin() + 2, 1);
  return toNHWC(op.builder(), op.loc(), reshape(op.builder(), op.loc(), op.value(0), shape));
}

// Back to the node's NCHW (or NCL) result.
Value poolOutput(OpContext &op, Value nhwc) {
  Value y = toNCHW(op.builder(), op.loc(), nhwc);
  if (op.rank(0) == 3) {
    llvm::ArrayRef<int64_t> s = typeOf(y).getShape();
    y = reshape(op.builder(), op.loc(), y, {s[0], s[1], s[3]});
  }
  return y;
}

template <bool isMax> llvm::Error convertPool(OpContext &op) {
  // TOSA's pools are 2-D, undilated and return no indices.
  bool dilated = llvm::any_of(op.attrInts("dilations"), [](int64_t d) { return d != 1; });
  if (op.hasOutput(1) || op.rank(0) == 5 || dilated)
    return convertPoolByTaps(op, isMax);
  if (op.attrInt("storage_order", 0) != 0)
    return op.fail("storage_order = 1 is not supported");
  auto x = poolInput(op);
  if (!x)
    return x.takeError();
  bool is1D = op.rank(0) == 3;
  llvm::ArrayRef<int64_t> xs = typeOf(*x).getShape(); // N, H, W, C
  std::vector<int64_t> kernel = op.attrInts("kernel_shape");
  if (kernel.size() != (is1D ? 1u : 2u))
    return op.fail("kernel_shape must have one entry per spatial dimension");
  bool ceilMode = op.attrInt("ceil_mode", 0) != 0;
  auto window = is1D ? readWindow(op, {xs[2]}, kernel, ceilMode)
                     : readWindow(op, {xs[1], xs[2]}, kernel, ceilMode);
  if (!window)
    return window.takeError();
  if (is1D)
    window->insert(window->begin(), WindowDim{});
  TosaWindowDim fit[2] = {fitToTosa((*window)[0]), fitToTosa((*window)[1])};
  Value in = cropForWindow(op, *x, fit);

  if (!isMax && op.attrInt("count_include_pad", 0) != 0) {
    // Explicit zero padding is counted; only what ceil_mode adds is not.
    int64_t padH[2], padW[2];
    for (int i = 0; i < 2; ++i) {
      const WindowDim &d = (*window)[i];
      int64_t end = std::min(d.padEnd, fit[i].padEnd);
      (i == 0 ? padH : padW)[0] = d.padBegin;
      (i == 0 ? padH : padW)[1] = end;
      fit[i].padBegin = 0;
      fit[i].padEnd -= end;
    }
    in = pad(op.builder(), op.loc(), in, {0, 0, padH[0], padH[1], padW[0], padW[1], 0, 0}, 0.0);
  }

  auto &b = op.builder();
  Type element = typeOf(in).getElementType();
  auto outType = tensorOf({xs[0], (*window)[0].out, (*window)[1].out, xs[3]}, element);
  auto kernelAttr = b.getDenseI64ArrayAttr({(*window)[0].kernel, (*window)[1].kernel});
  auto strideAttr = b.getDenseI64ArrayAttr({(*window)[0].stride, (*window)[1].stride});
  auto padAttr =
      b.getDenseI64ArrayAttr({fit[0].padBegin, fit[0].padEnd, fit[1].padBegin, fit[1].padEnd});
  Value y;
  if (isMax)
    y = op.create<tosa::MaxPool2dOp>(outType, in, kernelAttr, strideAttr, padAttr);
  else
    y = op.create<tosa::AvgPool2dOp>(outType, in, kernelAttr, strideAttr, padAttr,
                                     TypeAttr::get(b.getF32Type()));
  op.setValue(0, poolOutput(op, y));
  return llvm::Error::success();
}

// One window over the whole spatial extent.
template <bool isMax> llvm::Error convertGlobalPool(OpContext &op) {
  auto x = poolInput(op);
  if (!x)
    return x.takeError();
  auto &b = op.builder();
  llvm::ArrayRef<int64_t> xs = typeOf(*x).getShape();
  auto outType = tensorOf({xs[0], 1, 1, xs[3]}, typeOf(*x).getElementType());
  auto kernel = b.getDenseI64ArrayAttr({xs[1], xs[2]});
  auto stride = b.getDenseI64ArrayAttr({1, 1});
  auto pad = b.getDenseI64ArrayAttr({0, 0, 0, 0});
  Value y = isMax ? op.create<tosa::MaxPool2dOp>(outType, *x, kernel, stride, pad)
                  : op.create<tosa::AvgPool2dOp>(outType, *x, kernel, stride, pad,
                                                 TypeAttr::get(b.getF32Type()));
  op.setValue(0, poolOutput(op, y));
  return llvm::Error::success();
}

} // namespace

void registerPoolOps(OpTable &table) {
  table.add("MaxPool", convertPool<true>);
  table.add("AveragePool", convertPool<false>);
  table.add("GlobalMaxPool", convertGlobalPool<true>);
  table.add("GlobalAveragePool", convertGlobalPool<false>);
}

} // namespace kiln::onnx_import
