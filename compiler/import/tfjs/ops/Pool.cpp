//===- Pool.cpp - MaxPool and AvgPool -------------------------------------===//
//
// NHWC already. TF's SAME average pooling divides by the taps inside the
// input, which is what tosa.avg_pool2d does with padding.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Helpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

llvm::Error convertPool(OpContext &node) {
  bool isMax = node.opType() == "MaxPool";
  if (llvm::Error err = requireNHWC(node))
    return err;
  if (node.rank(0) != 4)
    return node.fail("the input must be 4-D, not " + shapeString(node.shape(0)));
  if (node.dtype(0) != DType::F32)
    return node.fail("only float32 pooling is supported");
  auto kernel = spatialAttr(node, "ksize", /*required=*/true);
  if (!kernel)
    return kernel.takeError();
  auto stride = spatialAttr(node, "strides", /*required=*/true);
  if (!stride)
    return stride.takeError();
  Value x = node.value(0);
  auto windows = spatialWindows(node, x, *kernel, *stride, {1, 1});
  if (!windows)
    return windows.takeError();
  auto [h, w] = *windows;
  auto in = node.shape(0);
  auto &b = node.builder();
  auto resultType = tensorOf({in[0], h.out, w.out, in[3]}, b.getF32Type());
  auto kernelAttr = b.getDenseI64ArrayAttr(*kernel);
  auto strideAttr = b.getDenseI64ArrayAttr(*stride);
  auto padAttr = b.getDenseI64ArrayAttr({h.padBefore, h.padAfter, w.padBefore, w.padAfter});
  Value out = isMax ? node.create<tosa::MaxPool2dOp>(resultType, x, kernelAttr, strideAttr, padAttr)
                    : node.create<tosa::AvgPool2dOp>(resultType, x, kernelAttr, strideAttr, padAttr,
                                                     TypeAttr::get(b.getF32Type()));
  node.setValue(0, out);
  return llvm::Error::success();
}

} // namespace

void registerPoolOps(OpTable &table) {
  table.add("MaxPool", convertPool, 1, 1);
  table.add("AvgPool", convertPool, 1, 1);
}

} // namespace kiln::tfjs_import
