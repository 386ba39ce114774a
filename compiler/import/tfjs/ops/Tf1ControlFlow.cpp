//===- Tf1ControlFlow.cpp - TF1 Switch, Merge and loop frame ops -----------===//
//
// TF1 conditionals are Switch (data, pred) -> output 0 when pred is false,
// output 1 when true, the other output dead; ops fed by a dead tensor are
// dead (GraphImporter::importNode); Merge gives its live input. This is
// what TF.js's executor does (control_executor.js).
//  - A predicate known at import kills one side: only the taken branch is
//    imported.
//  - A predicate known only at run time keeps both sides live, each marked
//    with (predicate, side) in its Guard; the Merge that joins two inputs
//    whose guards differ only in that last mark is a tosa.select.
// Enter, Exit, NextIteration and LoopCond are run by the loop frame
// (Tf1Frames.cpp); as converters they pass their input on.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/OpContext.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

ValueEntry deadEntry() {
  ValueEntry e;
  e.dead = true;
  return e;
}

llvm::Error convertSwitch(OpContext &node) {
  GraphImporter &graph = node.graph();
  const std::string &name = node.node().name;
  ValueEntry data = *graph.lookup(node.inputName(0));
  const ValueEntry &pred = *graph.lookup(node.inputName(1));
  if (numElements(node.shape(1)) != 1)
    return node.fail("the predicate must hold one element, not " +
                     llvm::Twine(numElements(node.shape(1))));
  if (pred.literal) {
    bool taken = pred.literal->intAt(0) != 0;
    graph.define(name + ":" + (taken ? "1" : "0"), data);
    graph.define(name + ":" + (taken ? "0" : "1"), deadEntry());
    return llvm::Error::success();
  }
  Guard base = data.guard.size() >= pred.guard.size() ? data.guard : pred.guard;
  for (int side = 0; side < 2; ++side) {
    ValueEntry out = data;
    out.guard = base;
    out.guard.emplace_back(node.inputName(1).str(), side == 1);
    graph.define(name + ":" + std::to_string(side), std::move(out));
  }
  return llvm::Error::success();
}

llvm::Error convertMerge(OpContext &node) {
  GraphImporter &graph = node.graph();
  std::vector<int> live;
  for (int i = 0; i < node.numInputs(); ++i)
    if (!graph.lookup(node.inputName(i))->dead)
      live.push_back(i);
  if (live.empty()) {
    graph.markDead(node.node().name);
    return llvm::Error::success();
  }
  if (live.size() == 1) {
    node.forwardInput(live[0], 0);
    return llvm::Error::success();
  }
  // Both sides of a run-time Switch: select by its predicate.
  const ValueEntry &a = *graph.lookup(node.inputName(live[0]));
  const ValueEntry &b = *graph.lookup(node.inputName(live[1]));
  bool paired = live.size() == 2 && !a.guard.empty() && a.guard.size() == b.guard.size() &&
                std::equal(a.guard.begin(), a.guard.end() - 1, b.guard.begin()) &&
                a.guard.back().first == b.guard.back().first &&
                a.guard.back().second != b.guard.back().second;
  if (!paired)
    return node.fail("inputs " + llvm::Twine(live[0]) + " and " + llvm::Twine(live[1]) +
                     " are both live and do not come from the two sides of one Switch");
  int onTrue = a.guard.back().second ? live[0] : live[1];
  int onFalse = onTrue == live[0] ? live[1] : live[0];
  auto shape = node.shape(onTrue);
  if (shape != node.shape(onFalse))
    return node.fail("the branches give shapes " + shapeString(shape) + " and " +
                     shapeString(node.shape(onFalse)) +
                     "; with a condition known only at run time Kiln needs them equal");
  Guard outer(a.guard.begin(), a.guard.end() - 1);
  std::string predTensor = a.guard.back().first;
  Value pred = graph.materialize(*graph.lookup(predTensor), predTensor);
  if (!typeOf(pred).getElementType().isInteger(1))
    pred = castElements(node.builder(), node.loc(), pred, node.builder().getI1Type());
  pred = reshape(node.builder(), node.loc(), pred, llvm::SmallVector<int64_t>(shape.size(), 1));
  node.setValue(0,
                select(node.builder(), node.loc(), pred, node.value(onTrue), node.value(onFalse)));
  graph.lookup(node.node().name + ":0")->guard = std::move(outer);
  return llvm::Error::success();
}

llvm::Error passThrough(OpContext &node) {
  node.forwardInput(0, 0);
  return llvm::Error::success();
}

} // namespace

void registerTf1ControlFlowOps(OpTable &table) {
  table.add("Switch", convertSwitch, 2, 2);
  table.add("Merge", convertMerge, 1, -1);
  for (const char *op : {"Enter", "Exit", "NextIteration", "LoopCond"})
    table.add(op, passThrough, 1, 1);
}

} // namespace kiln::tfjs_import
