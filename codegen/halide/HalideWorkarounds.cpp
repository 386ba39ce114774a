//===- HalideWorkarounds.cpp - avoiding Halide 14 bugs --------------------===//
//
// Which bug each rewrite avoids, and how that was proven, is in the header.
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/HalideWorkarounds.h"

#include "Halide.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace Halide;

namespace kiln::codegen {

namespace {

// Every Func of `pipeline` by name. Internal::Function is a handle: editing
// a schedule through it edits the pipeline's.
std::map<std::string, Internal::Function> pipelineEnvironment(const Pipeline &pipeline) {
  std::vector<Internal::Function> outputs;
  for (const Func &f : pipeline.outputs())
    outputs.push_back(f.function());
  return Internal::build_environment(outputs);
}

// Calls `fix(compute, store, consumer)` for every Func whose storage is
// hoisted above the loop it is computed in; `fix` returns the store level
// to use instead, or nothing to leave it. Both Halide 14 workarounds are
// such rewrites. Returns how many Funcs were changed.
template <typename Fix> int rewriteHoistedStorage(const Pipeline &pipeline, Fix fix) {
  std::map<std::string, Internal::Function> env = pipelineEnvironment(pipeline);
  int changed = 0;
  for (auto &entry : env) {
    Internal::FuncSchedule &schedule = entry.second.schedule();
    // Lowering locks every LoopLevel anyway; locked, they can be inspected.
    LoopLevel compute = schedule.compute_level(), store = schedule.store_level();
    compute.lock();
    store.lock();
    if (compute.is_inlined() || compute.is_root() || compute == store)
      continue;
    auto consumer = env.find(compute.func());
    if (consumer == env.end())
      continue;
    std::optional<LoopLevel> level = fix(compute, store, consumer->second);
    if (level && !(*level == store)) {
      schedule.store_level() = *level;
      ++changed;
    }
  }
  return changed;
}

} // namespace

// Halide 14 fails to compile a Func stored outside the GuardWithIf-split loop
// it is computed in: store it where it is computed.
int storeWhereComputedAtGuardedSplits(const Pipeline &pipeline) {
  auto isOuterOf = [](const std::string &loop, const std::string &var) {
    // Split loops are named "<old>.<outer>": the LoopLevel names the last part.
    return loop == var ||
           (loop.size() > var.size() + 1 &&
            loop.compare(loop.size() - var.size() - 1, std::string::npos, "." + var) == 0);
  };
  return rewriteHoistedStorage(
      pipeline,
      [&](const LoopLevel &compute, const LoopLevel &,
          const Internal::Function &f) -> std::optional<LoopLevel> {
        std::string var = compute.var().name();
        for (size_t stage = 0; stage <= f.updates().size(); ++stage) {
          const Internal::StageSchedule &stageSchedule =
              stage == 0 ? f.definition().schedule() : f.update(stage - 1).schedule();
          for (const Internal::Split &split : stageSchedule.splits())
            if (split.is_split() && isOuterOf(split.outer, var) &&
                (split.tail == TailStrategy::GuardWithIf || split.tail == TailStrategy::Auto))
              return compute;
        }
        return std::nullopt;
      });
}

// Halide 14's sliding window skips values when storage is hoisted more than
// one loop out of the compute loop: store it at most one loop out.
int storeAtMostOneLoopOut(const Pipeline &pipeline) {
  return rewriteHoistedStorage(
      pipeline, [](const LoopLevel &compute, const LoopLevel &store, const Internal::Function &f) {
        // The compute loop, found as Halide finds it (by loop name; a LoopLevel
        // may leave its stage unspecified), and the loop just outside it (dims
        // run innermost first, __outermost last).
        std::optional<LoopLevel> oneOut;
        int matches = 0;
        for (size_t stage = 0; stage <= f.updates().size(); ++stage) {
          const std::vector<Internal::Dim> &dims =
              stage == 0 ? f.definition().schedule().dims() : f.update(stage - 1).schedule().dims();
          std::string prefix = f.name() + ".s" + std::to_string(stage) + ".";
          for (size_t i = 0; i + 1 < dims.size(); ++i) {
            if (!compute.match(prefix + dims[i].var))
              continue;
            ++matches;
            const Internal::Dim &parent = dims[i + 1];
            // A LoopLevel names the last part of a split loop ("d2" for d2.d2).
            std::string name = parent.var.substr(parent.var.rfind('.') + 1);
            if (store.match(prefix + parent.var))
              oneOut = store;
            else
              oneOut = LoopLevel(f, parent.is_rvar() ? VarOrRVar(RVar(name)) : Var(name)).lock();
          }
        }
        // Where the compute loop is not one loop of one stage, storing where
        // computed is always correct.
        return std::optional<LoopLevel>(matches == 1 ? *oneOut : compute);
      });
}

// Halide 14 drops the tail of a vectorized GuardWithIf split of a
// Tuple-valued Func: run such loops as plain loops.
int scalarGuardedTupleVectors(const Pipeline &pipeline) {
  int changed = 0;
  for (auto &entry : pipelineEnvironment(pipeline)) {
    Internal::Function &f = entry.second;
    if (f.outputs() < 2)
      continue;
    for (size_t stage = 0; stage <= f.updates().size(); ++stage) {
      Internal::StageSchedule &schedule =
          stage == 0 ? f.definition().schedule() : f.update(stage - 1).schedule();
      std::vector<std::string> guarded; // inner loops of guarded splits
      for (const Internal::Split &split : schedule.splits())
        if (split.is_split() && (split.tail == TailStrategy::GuardWithIf ||
                                 (stage > 0 && split.tail == TailStrategy::Auto)))
          guarded.push_back(split.inner);
      for (Internal::Dim &dim : schedule.dims())
        if (dim.for_type == Internal::ForType::Vectorized &&
            std::find(guarded.begin(), guarded.end(), dim.var) != guarded.end()) {
          dim.for_type = Internal::ForType::Serial;
          ++changed;
        }
    }
  }
  return changed;
}

} // namespace kiln::codegen
