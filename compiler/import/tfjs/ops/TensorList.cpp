//===- TensorList.cpp - TF2 TensorList ops ---------------------------------===//
//
// A TF2 TensorList is a value (a variant tensor) that ops take and give, so
// Kiln's list is simply its elements stacked (ListRows.h). TF.js keeps the
// list as a resource that SetItem and PushBack change in place; in the
// graphs TF writes every list is used once after each change, so the two
// agree.
//
// TF.js differs from TF in two ops, and Kiln follows TF in both (no op-suite
// case, test/tfjs-ops/README.md): TensorListPopBack gives the element as its
// output 0 (TF: output 1, after the list), and TensorListSplit reshapes
// every element to the tensor's row shape, so it runs only with lengths of
// 1 and then drops TF's length dimension.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/ops/ListRows.h"
#include "compiler/import/tfjs/ops/OpTable.h"

namespace kiln::tfjs_import {
namespace {

using namespace lists;

// The list input 0 read with the element shape of input `shapeInput`.
llvm::Expected<Entry> readable(OpContext &node, int shapeInput) {
  auto element = elementShapeInput(node, shapeInput);
  if (!element)
    return element.takeError();
  return listFor(node, 0, *element, "element_shape");
}

// TensorListReserve (element_shape, num_elements), EmptyTensorList
// (element_shape, max_num_elements): an empty list.
llvm::Error convertReserve(OpContext &node) {
  auto dtype = elementDType(node, "element_dtype");
  if (!dtype)
    return dtype.takeError();
  auto element = elementShapeInput(node, 0);
  if (!element)
    return element.takeError();
  int64_t n = 0; // EmptyTensorList starts with no elements
  if (node.opType() == "TensorListReserve") {
    auto count = countInput(node, 1, "num_elements");
    if (!count)
      return count.takeError();
    n = *count;
  }
  define(node, 0, zeros(node, *dtype, n, knownElement(*element)));
  return llvm::Error::success();
}

// (tensor, element_shape): the tensor is the stacked list.
llvm::Error convertFromTensor(OpContext &node) {
  if (node.rank(0) < 1)
    return node.fail("the tensor must have at least one dimension");
  node.forwardInput(0, 0);
  return llvm::Error::success();
}

// (list, index, item) -> list.
llvm::Error convertSetItem(OpContext &node) { return defineOr(node, 0, writeItem(node, 0, 1, 2)); }

// (list, index, element_shape) -> item.
llvm::Error convertGetItem(OpContext &node) {
  auto list = readable(node, 2);
  return list ? defineOr(node, 0, readRow(node, *list, 1)) : list.takeError();
}

// (list, element_shape) -> tensor.
llvm::Error convertStack(OpContext &node) {
  auto list = readable(node, 1);
  if (!list)
    return list.takeError();
  int64_t want = node.attrs().getInt("num_elements", -1), n = shapeOf(*list)[0];
  if (want >= 0 && want != n)
    return node.fail("num_elements is " + llvm::Twine(want) + " but the list holds " +
                     llvm::Twine(n));
  if (n == 0)
    return node.fail("stacking an empty list (a tensor with no elements) is not supported");
  define(node, 0, *list);
  return llvm::Error::success();
}

// (list, indices, element_shape) -> tensor.
llvm::Error convertGather(OpContext &node) {
  auto list = readable(node, 2);
  return list ? defineOr(node, 0, gatherList(node, *list, 1)) : list.takeError();
}

// TensorListScatter (tensor, indices, element_shape), V2 (..., num_elements)
// -> list.
llvm::Error convertScatter(OpContext &node) {
  Entry values = input(node, 0);
  int64_t n = 0;
  if (node.opType() == "TensorListScatterV2") {
    auto count = node.constInts(3, "num_elements");
    if (!count)
      return count.takeError();
    if (count->size() == 1 && (*count)[0] > 0)
      n = (*count)[0];
  }
  Entry empty = zeros(node, dtypeOfEntry(values), n, rowShape(shapeOf(values)));
  return defineOr(node, 0, scatterList(node, empty, 1, values));
}

// (tensor, element_shape, lengths) -> list.
llvm::Error convertSplit(OpContext &node) {
  return defineOr(node, 0, splitList(node, input(node, 0), 2));
}

// TensorListConcat(V2) (list[, element_shape, leading_dims]) -> tensor,
// lengths. TF.js reads the element shape from the attribute.
llvm::Error convertConcat(OpContext &node) {
  auto list = listFor(node, 0, elementShapeAttr(node, "element_shape"), "element_shape");
  return list ? concatOutputs(node, *list) : list.takeError();
}

// (list, item) -> list.
llvm::Error convertPushBack(OpContext &node) {
  Entry item = input(node, 1);
  std::vector<int64_t> element(shapeOf(item).begin(), shapeOf(item).end());
  auto list = listFor(node, 0, element, "the element pushed");
  if (!list)
    return list.takeError();
  if (llvm::Error err = checkItem(node, *list, item))
    return err;
  define(node, 0, concatRows(node, {*list, reshaped(node, item, withRows(1, element))}));
  return llvm::Error::success();
}

// (list, element_shape) -> list, item.
llvm::Error convertPopBack(OpContext &node) {
  auto list = readable(node, 1);
  if (!list)
    return list.takeError();
  int64_t n = shapeOf(*list)[0];
  if (n == 0)
    return node.fail("popping from an empty list");
  define(node, 0, rows(node, *list, 0, n - 1));
  define(node, 1, reshaped(node, rows(node, *list, n - 1, 1), rowShape(shapeOf(*list))));
  return llvm::Error::success();
}

// (list) -> its length.
llvm::Error convertLength(OpContext &node) {
  node.setLiteral(0, Literal::fromInts(DType::I32, {}, {shapeOf(input(node, 0))[0]}));
  return llvm::Error::success();
}

// (list, size) -> the list cut or grown with zeros.
llvm::Error convertResize(OpContext &node) {
  auto size = countInput(node, 1, "size");
  if (!size)
    return size.takeError();
  Entry list = input(node, 0);
  llvm::ArrayRef<int64_t> shape = shapeOf(list);
  if (*size <= shape[0]) {
    define(node, 0, rows(node, list, 0, *size));
    return llvm::Error::success();
  }
  std::optional<std::vector<int64_t>> element;
  if (!unshaped(shape))
    element = rowShape(shape);
  Entry more = zeros(node, dtypeOfEntry(list), *size - shape[0], element);
  define(node, 0, concatRows(node, {list, more}));
  return llvm::Error::success();
}

} // namespace

void registerTensorListOps(OpTable &table) {
  table.add("TensorListReserve", convertReserve, 2, 2);
  table.add("EmptyTensorList", convertReserve, 2, 2);
  table.add("TensorListFromTensor", convertFromTensor, 2, 2);
  table.add("TensorListSetItem", convertSetItem, 3, 3);
  table.add("TensorListGetItem", convertGetItem, 3, 3);
  table.add("TensorListStack", convertStack, 2, 2);
  table.add("TensorListGather", convertGather, 3, 3);
  table.add("TensorListScatter", convertScatter, 3, 3);
  table.add("TensorListScatterV2", convertScatter, 4, 4);
  table.add("TensorListSplit", convertSplit, 3, 3);
  table.add("TensorListConcat", convertConcat, 1, 3);
  table.add("TensorListConcatV2", convertConcat, 1, 3);
  table.add("TensorListPushBack", convertPushBack, 2, 2);
  table.add("TensorListPopBack", convertPopBack, 2, 2);
  table.add("TensorListLength", convertLength, 1, 1);
  table.add("TensorListResize", convertResize, 2, 2);
}

} // namespace kiln::tfjs_import
