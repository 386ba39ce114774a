//===- Tf1Frames.cpp - TF1 while loops (Enter ... Exit frames) ------------===//
#include "compiler/import/tfjs/Tf1Frames.h"

#include "compiler/import/tfjs/AttrValue.h"
#include "compiler/import/tfjs/GraphImporter.h"
#include "compiler/support/Error.h"

#include <functional>
#include <map>
#include <queue>
#include <set>

namespace kiln::tfjs_import {

// As for TF2 While (ops/ControlFlow.cpp).
constexpr int64_t kMaxUnroll = 4096;

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

namespace {

// What one frame's walk finds: all its members, its own Exits, and the
// frames opened directly inside it.
struct FrameWalk {
  std::vector<size_t> members, exits;
  std::vector<std::string> nested;
};

} // namespace

// Walks forwards from `starts` (a frame's Enters) up to the frame's Exits.
// An Enter of another frame opens a nested one (depth + 1) and an Exit
// inside it closes it, so the walk goes on through nested frames and stops
// only at its own Exits.
static llvm::Expected<FrameWalk> walkFrame(const std::vector<TfNode> &nodes,
                                           const std::vector<std::vector<size_t>> &consumers,
                                           const std::string &name,
                                           const std::vector<size_t> &starts) {
  FrameWalk walk;
  std::vector<int> depth(nodes.size(), -1);
  std::vector<size_t> stack = starts;
  for (size_t s : starts)
    depth[s] = 0;
  while (!stack.empty()) {
    size_t n = stack.back();
    stack.pop_back();
    walk.members.push_back(n);
    int d = depth[n];
    if (nodes[n].op == "Exit") {
      if (d == 0) {
        walk.exits.push_back(n);
        continue; // the loop ends here
      }
      --d; // a nested frame ends
    }
    for (size_t c : consumers[n]) {
      int cd = d;
      if (nodes[c].op == "Enter" && frameName(nodes[c]) != name) {
        cd = d + 1;
        if (d == 0 && llvm::find(walk.nested, frameName(nodes[c])) == walk.nested.end())
          walk.nested.push_back(frameName(nodes[c]));
      }
      if (depth[c] >= 0) {
        if (depth[c] != cd)
          return makeError(describeNode(nodes[c]) +
                           " is reached at two loop depths from TF1 "
                           "loop frame '" +
                           name + "'");
        continue;
      }
      depth[c] = cd;
      stack.push_back(c);
    }
  }
  if (walk.exits.empty())
    return makeError("TF1 loop frame '" + name + "' has no Exit that the outputs need");
  return walk;
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
  std::map<std::string, FrameWalk> walks;
  std::map<std::string, std::string> parent;
  for (auto &[name, starts] : enters) {
    auto walk = walkFrame(nodes, consumers, name, starts);
    if (!walk)
      return walk.takeError();
    for (const std::string &inner : walk->nested)
      parent[inner] = name;
    walks[name] = std::move(*walk);
  }
  // Frames as a tree; a node in two frames neither of which holds the
  // other is an error, as before nesting was imported.
  std::function<Tf1Frame(const std::string &)> build = [&](const std::string &name) {
    Tf1Frame frame{name, walks[name].members, walks[name].exits, {}};
    for (const std::string &inner : walks[name].nested)
      frame.nested.push_back(build(inner));
    return frame;
  };
  std::vector<Tf1Frame> frames;
  std::vector<int> frameOf(nodes.size(), -1);
  for (auto &[name, walk] : walks) {
    if (parent.count(name))
      continue;
    int id = frames.size();
    for (size_t m : walk.members) {
      if (frameOf[m] >= 0)
        return makeError(describeNode(nodes[m]) + " is inside TF1 loop frame '" + name +
                         "' and in '" + frames[frameOf[m]].name +
                         "', neither of which holds the other");
      frameOf[m] = id;
    }
    frames.push_back(build(name));
  }
  return frames;
}

namespace {

/// How a frame's run names tensors: an outer frame's member in the current
/// outer iteration ("tf1/<frame>/<i>/..."), or a tensor outside every frame
/// as itself.
using Rename = std::function<std::string(const std::string &)>;

/// The members of `frame` in an order to run them: topological without its
/// back edges, each nested frame as one unit at the place of its first
/// member, the frame's own Exits last; ties keep `rank` (the importer's
/// order). Returns node indices, a nested frame as ~index into `nested`.
std::vector<int64_t> runOrder(const std::vector<TfNode> &nodes, const Tf1Frame &frame,
                              const llvm::StringMap<size_t> &members,
                              const std::vector<size_t> &rank) {
  std::map<size_t, int64_t> unitOf; // node -> its unit (a node, or ~nested frame)
  for (size_t m : frame.members)
    unitOf[m] = int64_t(m);
  for (size_t f = 0; f < frame.nested.size(); ++f)
    for (size_t m : frame.nested[f].members)
      unitOf[m] = ~int64_t(f);
  auto unitRank = [&](int64_t u) {
    size_t best = SIZE_MAX;
    if (u >= 0)
      return rank[u];
    for (size_t m : frame.nested[~u].members)
      best = std::min(best, rank[m]);
    return best;
  };
  std::map<int64_t, std::set<int64_t>> after; // unit -> units that wait for it
  std::map<int64_t, int> pending;
  for (auto &[m, u] : unitOf)
    pending.try_emplace(u, 0);
  auto edge = [&](int64_t from, int64_t to) {
    if (from != to && after[from].insert(to).second)
      ++pending[to];
  };
  for (auto &[m, u] : unitOf)
    for (const std::string &input : nodes[m].inputs) {
      auto it = members.find(nodeOf(input));
      if (it == members.end() || isBackEdge(nodes[it->second], nodes[m]))
        continue;
      edge(unitOf[it->second], u);
    }
  for (size_t exit : frame.exits)
    for (auto &[m, u] : unitOf)
      if (!llvm::is_contained(frame.exits, m))
        edge(u, int64_t(exit));
  auto later = [&](int64_t a, int64_t b) { return unitRank(a) > unitRank(b); };
  std::priority_queue<int64_t, std::vector<int64_t>, decltype(later)> ready(later);
  for (auto &[u, n] : pending)
    if (n == 0)
      ready.push(u);
  std::vector<int64_t> order;
  while (!ready.empty()) {
    int64_t u = ready.top();
    ready.pop();
    order.push_back(u);
    for (int64_t v : after[u])
      if (--pending[v] == 0)
        ready.push(v);
  }
  return order;
}

llvm::Error runFrame(GraphImporter &graph, const std::vector<TfNode> &nodes, const Tf1Frame &frame,
                     const std::vector<size_t> &rank, const std::string &outerPrefix,
                     const Rename &outer) {
  llvm::StringMap<size_t> members;
  for (size_t m : frame.members)
    members[nodes[m].name] = m;
  llvm::StringMap<bool> own; // members outside the nested frames
  for (size_t m : frame.members)
    own[nodes[m].name] = true;
  for (const Tf1Frame &inner : frame.nested)
    for (size_t m : inner.members)
      own.erase(nodes[m].name);
  std::vector<int64_t> order = runOrder(nodes, frame, members, rank);
  // Iteration i's copy of a node is "<outer prefix>tf1/<frame>/<i>/<node>";
  // tensors from outside the frame are named as the enclosing run names them.
  auto prefix = [&](int64_t i) {
    return outerPrefix + "tf1/" + frame.name + "/" + std::to_string(i) + "/";
  };
  for (int64_t i = 0;; ++i) {
    Rename rename = [&, i](const std::string &tensor) {
      return members.contains(nodeOf(tensor)) ? prefix(i) + tensor : outer(tensor);
    };
    std::optional<bool> again;
    for (int64_t unit : order) {
      if (unit < 0) {
        if (llvm::Error err = runFrame(graph, nodes, frame.nested[~unit], rank, prefix(i), rename))
          return err;
        continue;
      }
      const TfNode &node = nodes[unit];
      TfNode copy = node;
      copy.name = prefix(i) + node.name;
      for (std::string &in : copy.inputs)
        in = rename(in);
      if (node.op == "Enter") {
        std::string from = outer(node.inputs[0]);
        ValueEntry *in = graph.lookup(from);
        if (!in)
          return makeError(describeNode(node) + ": reads '" + from + "', which no node defines");
        graph.define(copy.name + ":0", *in);
        continue;
      }
      if (node.op == "Merge" && node.inputs.size() == 2) {
        // A loop variable: its Enter's value first, then the back edge's.
        int back = -1;
        for (int k = 0; k < 2; ++k) {
          auto it = members.find(nodeOf(node.inputs[k]));
          if (it != members.end() && own.contains(nodeOf(node.inputs[k])) &&
              nodes[it->second].op == "NextIteration")
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
      if (node.op == "Exit" && llvm::is_contained(frame.exits, size_t(unit))) {
        ValueEntry *in = graph.lookup(copy.inputs[0]);
        if (in && !in->dead)
          graph.define(outer(node.name + ":0"), *in);
        continue;
      }
      if (llvm::Error err = graph.importNode(copy))
        return err;
      if (node.op == "LoopCond") {
        ValueEntry *cond = graph.lookup(copy.name + ":0");
        if (cond->dead) { // a nested frame in the outer loop's last, dead pass
          again = false;
          continue;
        }
        if (!cond->literal || cond->literal->size() != 1)
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
    if (!graph.lookup(outer(nodes[exit].name + ":0")))
      graph.markDead(nodeOf(outer(nodes[exit].name + ":0")));
  return llvm::Error::success();
}

} // namespace

llvm::Error runTf1Frame(GraphImporter &graph, const std::vector<TfNode> &nodes,
                        const Tf1Frame &frame, const std::vector<size_t> &orderedMembers) {
  // Each member's place in the importer's order, the tie-break of runOrder.
  std::vector<size_t> rank(nodes.size(), SIZE_MAX);
  for (size_t k = 0; k < orderedMembers.size(); ++k)
    rank[orderedMembers[k]] = k;
  return runFrame(graph, nodes, frame, rank, "", [](const std::string &t) { return t; });
}

} // namespace kiln::tfjs_import
