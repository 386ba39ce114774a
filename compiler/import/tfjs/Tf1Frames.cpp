//===- Tf1Frames.cpp - TF1 while loops (Enter ... Exit frames) ------------===//
#include "compiler/import/tfjs/Tf1Frames.h"

#include "compiler/import/tfjs/AttrValue.h"
#include "compiler/import/tfjs/GraphImporter.h"

#include <map>

namespace kiln::tfjs_import {

// As for TF2 While (ops/ControlFlow.cpp).
constexpr int64_t kMaxUnroll = 4096;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static llvm::StringRef nodeOf(llvm::StringRef tensor) { return tensor.rsplit(':').first; }

bool isBackEdge(const TfNode &producer, const TfNode &consumer) {
  return consumer.op == "Merge" && producer.op == "NextIteration";
}

static std::string frameName(const TfNode &node) {
  AttrReader attrs(node.attr);
  std::string name = attrs.getString("frame_name", "");
  llvm::consumeError(attrs.takeError());
  return name;
}

llvm::Expected<std::vector<Tf1Frame>> findTf1Frames(const std::vector<TfNode> &nodes,
                                                    const llvm::StringMap<size_t> &index,
                                                    const std::vector<bool> &needed) {
  std::vector<std::vector<size_t>> consumers(nodes.size());
  std::map<std::string, std::vector<size_t>> enters; // frame name -> its Enters
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!needed[i])
      continue;
    if (nodes[i].op == "Enter")
      enters[frameName(nodes[i])].push_back(i);
    for (const std::string &input : nodes[i].inputs) {
      auto it = index.find(nodeOf(input));
      if (it != index.end())
        consumers[it->second].push_back(i);
    }
  }
  std::vector<Tf1Frame> frames;
  std::vector<int> frameOf(nodes.size(), -1);
  for (auto &[name, starts] : enters) {
    Tf1Frame frame;
    frame.name = name;
    int id = frames.size();
    std::vector<size_t> stack = starts;
    for (size_t s : starts)
      frameOf[s] = id;
    while (!stack.empty()) {
      size_t n = stack.back();
      stack.pop_back();
      frame.members.push_back(n);
      if (nodes[n].op == "Exit") {
        frame.exits.push_back(n);
        continue; // the loop ends here
      }
      for (size_t c : consumers[n]) {
        if (frameOf[c] == id)
          continue;
        if (frameOf[c] >= 0 || (nodes[c].op == "Enter" && frameName(nodes[c]) != name))
          return makeError(describeNode(nodes[c]) + " is inside TF1 loop frame '" + name +
                           "' and another one; nested TF1 loops are not imported");
        frameOf[c] = id;
        stack.push_back(c);
      }
    }
    if (frame.exits.empty())
      return makeError("TF1 loop frame '" + name + "' has no Exit that the outputs need");
    frames.push_back(std::move(frame));
  }
  return frames;
}

llvm::Error runTf1Frame(GraphImporter &graph, const std::vector<TfNode> &nodes,
                        const Tf1Frame &frame, const std::vector<size_t> &orderedMembers) {
  llvm::StringMap<size_t> members;
  for (size_t m : frame.members)
    members[nodes[m].name] = m;
  // Iteration i's copy of a node is "tf1/<frame>/<i>/<node>"; the frame's
  // inputs from outside keep their names.
  auto prefix = [&](int64_t i) { return "tf1/" + frame.name + "/" + std::to_string(i) + "/"; };
  auto rename = [&](const std::string &tensor, int64_t i) {
    return members.contains(nodeOf(tensor)) ? prefix(i) + tensor : tensor;
  };
  for (int64_t i = 0;; ++i) {
    std::optional<bool> again;
    for (size_t m : orderedMembers) {
      const TfNode &node = nodes[m];
      TfNode copy = node;
      copy.name = prefix(i) + node.name;
      for (std::string &in : copy.inputs)
        in = rename(in, i);
      if (node.op == "Enter") {
        ValueEntry *in = graph.lookup(node.inputs[0]);
        if (!in)
          return makeError(describeNode(node) + ": reads '" + node.inputs[0] +
                           "', which no node defines");
        graph.define(copy.name + ":0", *in);
        continue;
      }
      if (node.op == "Merge" && node.inputs.size() == 2) {
        // A loop variable: its Enter's value first, then the back edge's.
        int back = -1;
        for (int k = 0; k < 2; ++k) {
          auto it = members.find(nodeOf(node.inputs[k]));
          if (it != members.end() && nodes[it->second].op == "NextIteration")
            back = k;
        }
        if (back >= 0) {
          std::string from = i == 0 ? copy.inputs[1 - back] : prefix(i - 1) + node.inputs[back];
          ValueEntry *in = graph.lookup(from);
          if (!in)
            return makeError(describeNode(node) + ": internal error: '" + from +
                             "' is not defined");
          graph.define(copy.name + ":0", *in);
          continue;
        }
      }
      if (node.op == "Exit") {
        ValueEntry *in = graph.lookup(copy.inputs[0]);
        if (in && !in->dead)
          graph.define(node.name + ":0", *in);
        continue;
      }
      if (llvm::Error err = graph.importNode(copy))
        return err;
      if (node.op == "LoopCond") {
        ValueEntry *cond = graph.lookup(copy.name + ":0");
        if (cond->dead || !cond->literal || cond->literal->size() != 1)
          return makeError(describeNode(node) + " of TF1 loop frame '" + frame.name +
                           "': the loop condition depends on run-time data; Kiln unrolls loops "
                           "whose trip count is known at compile time");
        again = cond->literal->intAt(0) != 0;
      }
    }
    if (!again)
      return makeError("TF1 loop frame '" + frame.name + "' has no LoopCond");
    if (!*again)
      break;
    if (i >= kMaxUnroll)
      return makeError("TF1 loop frame '" + frame.name + "' runs more than " +
                       llvm::Twine(kMaxUnroll) + " iterations, more than Kiln unrolls");
  }
  for (size_t exit : frame.exits)
    if (!graph.lookup(nodes[exit].name + ":0"))
      graph.markDead(nodes[exit].name);
  return llvm::Error::success();
}

} // namespace kiln::tfjs_import
