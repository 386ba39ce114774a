//===- ControlFlow.h - If, Loop and Scan bodies --------------------*- C++ -*-===//
//
// The control-flow converters (ControlFlow.cpp) resolve what they can at
// import: an If on a known condition, a Loop whose trip count and condition
// are known, every Scan, by inlining the bodies into the graph. What is left
// to run time becomes host control flow (HostControl.cpp): each body a
// private function of the module, called by kiln.if or kiln.loop in the
// generated host code (docs/CONTROL_FLOW.md).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPS_CONTROLFLOW_H
#define KILN_COMPILER_IMPORT_ONNX_OPS_CONTROLFLOW_H

#include "compiler/import/onnx/GraphImporter.h"
#include "compiler/import/onnx/OpContext.h"

#include <vector>

namespace onnx {
class GraphProto;
} // namespace onnx

namespace kiln::onnx_import {

/// Imports `body` at the insertion point with its inputs bound to `inputs`;
/// returns its outputs' entries.
llvm::Expected<std::vector<ValueEntry>> inlineGraph(OpContext &op, const onnx::GraphProto &body,
                                                    llvm::ArrayRef<ValueEntry> inputs);

/// Whether an If on a run-time condition had better compute both branches
/// and select: each branch a few elementwise nodes, which fuse into the
/// kernels around them, where a host branch would cut them into kernels of
/// their own.
bool selectsBranches(const onnx::GraphProto &thenBody, const onnx::GraphProto &elseBody);

/// If on a run-time condition: kiln.if over the two branches as functions.
llvm::Error convertHostIf(OpContext &op, const onnx::GraphProto &thenBody,
                          const onnx::GraphProto &elseBody);

/// Loop run by the host: kiln.loop over the body as a function. Scan outputs
/// take their static length from the model's declared shape of the output
/// (or the trip count when it is known and there is no condition).
llvm::Error convertHostLoop(OpContext &op, const onnx::GraphProto &body);

} // namespace kiln::onnx_import

#endif
