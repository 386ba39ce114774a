//===- ListRows.h - TF's lists as stacked tensors -----------------*- C++ -*-===//
//
// TF's lists are run-time resources in TF.js (tensor_array.js,
// tensor_list.js). In the graphs converters write (tf.map_fn, tf.scan,
// while loops that collect a result per step) every element has one shape
// and the loop is unrolled at import (Tf1Frames.cpp, ops/ControlFlow.cpp),
// so Kiln lowers a list to a plain tensor: its elements stacked, [n, ...].
// A write is a new stacked tensor with one row replaced, a read a slice.
// TensorArray.cpp (TF1) and TensorList.cpp (TF2) convert the ops onto the
// pieces here.
//
// A list whose element shape is not known yet (element_shape unknown and
// nothing written) is the empty literal [n, 0]: its first write, or a read
// that names the element shape, gives the rows their shape (zeros until
// written; TF.js refuses to read an unwritten element, so no graph that
// runs there sees them).
// Indices known at import (a loop counter after unrolling) are slices and
// concatenations; a read at a run-time index is a tosa.gather and a write
// a tosa.select against the row number. Scatters and splits need their
// indices and lengths at import, and a split's lengths must be equal.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_LISTROWS_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_LISTROWS_H

#include "compiler/import/tfjs/OpContext.h"

namespace kiln::tfjs_import::lists {

/// A list (or an element): a literal or a value, as the value table holds
/// tensors.
using Entry = ValueEntry;

llvm::ArrayRef<int64_t> shapeOf(const Entry &e);
DType dtypeOfEntry(const Entry &e);
/// The entry of the node's input `i`.
Entry input(OpContext &node, int i);
/// Defines output `output` of the node.
void define(OpContext &node, int output, Entry e);
/// Defines output `output`, or passes the error on.
llvm::Error defineOr(OpContext &node, int output, llvm::Expected<Entry> e);

/// The element shape of a list shape, and a list shape from one.
std::vector<int64_t> rowShape(llvm::ArrayRef<int64_t> list);
std::vector<int64_t> withRows(int64_t n, llvm::ArrayRef<int64_t> element);
/// Whether a list shape is that of a list of unknown element shape.
bool unshaped(llvm::ArrayRef<int64_t> list);

/// `n` rows of zeros of `element` shape (the unshaped list if unknown).
Entry zeros(OpContext &node, DType dtype, int64_t n, std::optional<std::vector<int64_t>> element);
Entry reshaped(OpContext &node, const Entry &e, std::vector<int64_t> shape);
/// Rows [start, start + count) of a list.
Entry rows(OpContext &node, const Entry &list, int64_t start, int64_t count);
/// Concatenates lists along the rows (empty parts skipped).
Entry concatRows(OpContext &node, std::vector<Entry> parts);

/// An element shape as an `element_shape` input gives it (-1 for an unknown
/// rank, -1 dims for unknown sizes) or an attribute does (absent: unknown).
llvm::Expected<std::vector<int64_t>> elementShapeInput(OpContext &node, int i);
std::vector<int64_t> elementShapeAttr(OpContext &node, llvm::StringRef name);
/// The element shape if every dimension is known.
std::optional<std::vector<int64_t>> knownElement(llvm::ArrayRef<int64_t> element);
/// The list input `i` for a read whose element shape is `element` (checked;
/// an unshaped list becomes zeros of it, or an error if it is not known).
/// `what` names where the shape came from, for errors.
llvm::Expected<Entry> listFor(OpContext &node, int i, llvm::ArrayRef<int64_t> element,
                              llvm::StringRef what);

/// The list input `listInput` with input `itemInput` written at the index
/// in input `indexInput`.
llvm::Expected<Entry> writeItem(OpContext &node, int listInput, int indexInput, int itemInput);
/// Row (index input `indexInput`) of the list, shaped as the element.
llvm::Expected<Entry> readRow(OpContext &node, const Entry &list, int indexInput);
/// Rows (indices input `indicesInput`) of the list, stacked.
llvm::Expected<Entry> gatherList(OpContext &node, const Entry &list, int indicesInput);
/// The list with rows (known indices) set to the rows of `values`.
llvm::Expected<Entry> scatterList(OpContext &node, Entry list, int indicesInput, Entry values);
/// A tensor split along its first dimension by lengths (known, equal).
llvm::Expected<Entry> splitList(OpContext &node, Entry value, int lengthsInput);
/// Output 0: the rows flattened into the first element dimension; output
/// 1: their lengths.
llvm::Error concatOutputs(OpContext &node, const Entry &list);

/// The element type attribute `attr` (required).
llvm::Expected<DType> elementDType(OpContext &node, llvm::StringRef attr);
/// Fails unless `item`'s element type is the list's.
llvm::Error checkItem(OpContext &node, const Entry &list, const Entry &item);
/// The count input `i`, known and not negative.
llvm::Expected<int64_t> countInput(OpContext &node, int i, llvm::StringRef what);

} // namespace kiln::tfjs_import::lists

#endif
