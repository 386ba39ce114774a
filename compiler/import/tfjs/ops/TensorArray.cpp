//===- TensorArray.cpp - TF1 TensorArrayV3 and the ops on it --------------===//
//
// A TF1 TensorArray is a handle and a "flow" scalar that orders the ops on
// it: every op takes the flow of the array's latest write, and writes give
// a new one, so the flow is what TF1 loops carry through Enter, Merge and
// NextIteration. Kiln lowers the array to its elements stacked
// (ListRows.h): the flow carries that tensor, and the handle is a dummy
// int32 0 (TF.js's id tensor), which every op ignores.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/ops/ListRows.h"
#include "compiler/import/tfjs/ops/OpTable.h"

namespace kiln::tfjs_import {
namespace {

using namespace lists;

// The flow is the last input of every op but TensorArrayV3 and Close.
int flowInput(OpContext &node) { return node.numInputs() - 1; }

// (size) -> handle, flow.
llvm::Error convertTensorArray(OpContext &node) {
  auto dtype = elementDType(node, "dtype");
  if (!dtype)
    return dtype.takeError();
  auto size = countInput(node, 0, "size");
  if (!size)
    return size.takeError();
  node.setLiteral(0, Literal::fromInts(DType::I32, {}, {0}));
  define(node, 1,
         zeros(node, *dtype, *size, knownElement(elementShapeAttr(node, "element_shape"))));
  return llvm::Error::success();
}

// (handle, index, value, flow) -> flow.
llvm::Error convertWrite(OpContext &node) {
  return defineOr(node, 0, writeItem(node, flowInput(node), 1, 2));
}

// (handle, index, flow) -> element.
llvm::Error convertRead(OpContext &node) {
  auto list = listFor(node, flowInput(node), {-2}, "the read");
  return list ? defineOr(node, 0, readRow(node, *list, 1)) : list.takeError();
}

// (handle, indices, flow) -> elements stacked.
llvm::Error convertGather(OpContext &node) {
  auto list =
      listFor(node, flowInput(node), elementShapeAttr(node, "element_shape"), "element_shape");
  return list ? defineOr(node, 0, gatherList(node, *list, 1)) : list.takeError();
}

// (handle, indices, values, flow) -> flow.
llvm::Error convertScatter(OpContext &node) {
  Entry list = input(node, flowInput(node)), values = input(node, 2);
  if (llvm::Error err = checkItem(node, list, values))
    return err;
  return defineOr(node, 0, scatterList(node, list, 1, values));
}

// (handle, value, lengths, flow) -> flow.
llvm::Error convertSplit(OpContext &node) {
  auto out = splitList(node, input(node, 1), 2);
  if (!out)
    return out.takeError();
  if (llvm::Error err = checkItem(node, input(node, flowInput(node)), *out))
    return err;
  return defineOr(node, 0, std::move(*out));
}

// (handle, flow) -> value, lengths.
llvm::Error convertConcat(OpContext &node) {
  auto list = listFor(node, flowInput(node), {-2}, "the concatenation");
  return list ? concatOutputs(node, *list) : list.takeError();
}

// (handle, flow) -> size.
llvm::Error convertSize(OpContext &node) {
  int64_t n = shapeOf(input(node, flowInput(node)))[0];
  node.setLiteral(0, Literal::fromInts(DType::I32, {}, {n}));
  return llvm::Error::success();
}

// (handle) -> handle.
llvm::Error convertClose(OpContext &node) {
  node.setLiteral(0, Literal::fromInts(DType::I32, {}, {0}));
  return llvm::Error::success();
}

} // namespace

void registerTensorArrayOps(OpTable &table) {
  table.add("TensorArrayV3", convertTensorArray, 1, 1);
  table.add("TensorArrayWriteV3", convertWrite, 4, 4);
  table.add("TensorArrayReadV3", convertRead, 3, 3);
  table.add("TensorArrayGatherV3", convertGather, 3, 3);
  table.add("TensorArrayScatterV3", convertScatter, 4, 4);
  table.add("TensorArraySplitV3", convertSplit, 4, 4);
  table.add("TensorArrayConcatV3", convertConcat, 2, 2);
  table.add("TensorArraySizeV3", convertSize, 2, 2);
  table.add("TensorArrayCloseV3", convertClose, 1, 1);
}

} // namespace kiln::tfjs_import
