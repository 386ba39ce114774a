//===- Tf1Frames.h - TF1 while loops (Enter ... Exit frames) ------*- C++ -*-===//
//
// A TF1 while loop is a frame of nodes: Enter brings each loop variable and
// each invariant in, Merge joins a variable's first value with its
// NextIteration, the condition ends in LoopCond, Switch routes each variable
// to the body (output 1) or to its Exit (output 0). The graph has a cycle
// through NextIteration -> Merge. Kiln has static shapes and no loops at
// run time, so a frame is unrolled at import while its LoopCond folds to a
// known value, as TF2 While is (ops/ControlFlow.cpp); a condition that
// depends on run-time data is an error naming the LoopCond node.
//
// A loop inside another one's body is a frame nested in it: Enters of
// another frame_name reached from the outer frame's nodes open it, its
// Exits close it. It is unrolled anew in every iteration of the outer
// frame, so its trip count may follow the outer counter.
//
// The importer orders the graph without the NextIteration -> Merge edges
// and with every Exit after every other node of its frame, skips a frame's
// nodes, and runs the whole frame (its nested frames too) at its first
// Exit.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_TF1FRAMES_H
#define KILN_COMPILER_IMPORT_TFJS_TF1FRAMES_H

#include "compiler/import/tfjs/ModelJson.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::tfjs_import {

class GraphImporter;

struct Tf1Frame {
  std::string name;            // the Enters' frame_name
  std::vector<size_t> members; // node indices: Enters, body, Exits (nested frames' too)
  std::vector<size_t> exits;
  std::vector<Tf1Frame> nested; // frames inside this one's body
};

/// The outermost frames of the needed nodes, found forwards from each
/// frame's Enters up to its Exits, each with its nested frames. A node
/// reached from two frames that do not nest is an error.
llvm::Expected<std::vector<Tf1Frame>> findTf1Frames(const std::vector<TfNode> &nodes,
                                                    const llvm::StringMap<size_t> &index,
                                                    const std::vector<bool> &needed);

/// Unrolls `frame` (an outermost one), whose members are given in
/// topological order (without the NextIteration -> Merge edges), the order
/// it keeps where it can; defines the outputs of its Exits.
llvm::Error runTf1Frame(GraphImporter &graph, const std::vector<TfNode> &nodes,
                        const Tf1Frame &frame, const std::vector<size_t> &orderedMembers);

/// Whether a Merge input comes from a NextIteration (a loop's back edge).
bool isBackEdge(const TfNode &producer, const TfNode &consumer);

} // namespace kiln::tfjs_import

#endif
