//===- PlanControl.cpp - kiln.if and kiln.loop in the host plan -----------===//
//
// docs/CONTROL_FLOW.md: a branch or a loop body is a function of the
// module, planned in place as a run of steps between If/Else/EndIf or
// Loop/EndLoop. Results a branch's kernels compute are written straight
// into the If's buffers; a loop's carried values live in its result
// buffers, copied back from the body's at the end of each iteration.
//
//===----------------------------------------------------------------------===//
#include "targets/host/Planner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace kiln::host::detail {

llvm::Expected<std::vector<BufferRef>>
Planner::resultBuffers(Operation *op, const llvm::DenseMap<Value, BufferRef> &direct) {
  std::vector<BufferRef> refs;
  for (Value result : op->getResults()) {
    if (auto out = direct.find(result); out != direct.end()) {
      refs.push_back(use(out->second));
    } else {
      auto desc = describe(result, locationName(op) + " result", "intermediate");
      if (!desc)
        return desc.takeError();
      refs.push_back(newArena(*desc));
    }
    buffers[result] = refs.back();
  }
  return refs;
}

llvm::Error Planner::planFunction(llvm::StringRef symbol, llvm::ArrayRef<BufferRef> args,
                                  llvm::ArrayRef<std::optional<BufferRef>> dest,
                                  std::vector<BufferRef> &results) {
  auto fn = module.lookupSymbol<func::FuncOp>(symbol);
  if (!fn || fn.isExternal() || !fn.getBody().hasOneBlock())
    return planError("@" + symbol + " is not a function of the module with one block");
  if (llvm::is_contained(active, symbol))
    return planError("@" + symbol + " calls itself; the host runs no recursion");
  Block &body = fn.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (body.getNumArguments() != args.size() || ret.getNumOperands() != dest.size())
    return planError("@" + symbol + " takes " + llvm::Twine(body.getNumArguments()) +
                     " arguments and returns " + llvm::Twine(ret.getNumOperands()) +
                     " values; its caller gives " + llvm::Twine(args.size()) + " and takes " +
                     llvm::Twine(dest.size()));
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || type.getShape() != llvm::ArrayRef<int64_t>(args[i].desc.shape))
      return planError("@" + symbol + ": argument " + llvm::Twine(i) +
                       " does not have the shape of what its caller passes");
    buffers[arg] = args[i];
  }
  // A result that a kernel (or a nested kiln.if/kiln.loop) of this body
  // computes is written straight into its destination, once.
  llvm::DenseMap<Value, BufferRef> direct;
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    Operation *def = value.getDefiningOp();
    if (dest[i] && def && def->getBlock() == &body &&
        isa<kiln::KernelOp, kiln::IfOp, kiln::LoopOp>(def) && !direct.count(value))
      direct[value] = *dest[i];
  }
  active.push_back(symbol);
  if (llvm::Error err = planOps(body, direct))
    return err;
  active.pop_back();
  results.clear();
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    auto ref = resolve(value);
    if (!ref)
      return ref.takeError();
    auto it = direct.find(value);
    bool written = dest[i] && it != direct.end() && sameBuffer(it->second, *dest[i]);
    if (dest[i] && !written) {
      copy(*ref, *dest[i]);
      results.push_back(*dest[i]);
    } else {
      results.push_back(dest[i] ? *dest[i] : use(*ref));
    }
  }
  return llvm::Error::success();
}

llvm::Error Planner::planIf(kiln::IfOp op, const llvm::DenseMap<Value, BufferRef> &direct) {
  auto cond = resolve(op.getCondition());
  if (!cond)
    return cond.takeError();
  auto results = resultBuffers(op, direct);
  if (!results)
    return results.takeError();
  std::vector<std::optional<BufferRef>> dest(results->begin(), results->end());
  unsigned ifStep = now();
  HostStep s{HostStep::If};
  s.source = use(*cond);
  s.label = locationName(op);
  step(s);
  std::vector<BufferRef> out;
  auto branch = [&](llvm::StringRef symbol, ValueRange captures) -> llvm::Error {
    llvm::SmallVector<BufferRef> args;
    for (Value v : captures) {
      auto ref = resolve(v);
      if (!ref)
        return ref.takeError();
      args.push_back(use(*ref));
    }
    return planFunction(symbol, args, dest, out);
  };
  if (llvm::Error err = branch(op.getThenBranch(), op.getThenCaptures()))
    return err;
  unsigned elseStep = now();
  step(HostStep{HostStep::Else});
  if (llvm::Error err = branch(op.getElseBranch(), op.getElseCaptures()))
    return err;
  unsigned endStep = now();
  step(HostStep{HostStep::EndIf});
  plan.steps[ifStep].match = elseStep;
  plan.steps[elseStep].match = endStep;
  plan.steps[endStep].match = ifStep;
  // The results were written under the branch: they live from the If on.
  for (const BufferRef &ref : *results)
    use(ref);
  return llvm::Error::success();
}

llvm::Error Planner::planLoop(kiln::LoopOp op, const llvm::DenseMap<Value, BufferRef> &direct) {
  HostLoop loop;
  loop.label = locationName(op);
  unsigned numCarried = op.getCarried().size();
  // The trip count (int64) and the condition (bool): one element each,
  // read by the host when the loop starts.
  auto scalar = [&](Value v, const char *what, DType type, bool &has,
                    BufferRef &out) -> llvm::Error {
    if (!v)
      return llvm::Error::success();
    auto ref = resolve(v);
    if (!ref)
      return ref.takeError();
    if (ref->desc.bytes() != ref->desc.element.bytes || ref->desc.element.type != type)
      return planError("loop '" + loop.label + "': its " + what + " must be one " +
                       dtypeName(type));
    has = true;
    out = use(*ref);
    return llvm::Error::success();
  };
  if (llvm::Error err =
          scalar(op.getTripCount(), "trip count", DType::I64, loop.hasTripCount, loop.tripCount))
    return err;
  if (llvm::Error err =
          scalar(op.getCondition(), "condition", DType::Bool, loop.hasCondition, loop.condition))
    return err;
  // The loop's results: the carried states, then the stacked scan outputs.
  auto results = resultBuffers(op, direct);
  if (!results)
    return results.takeError();
  for (unsigned k = 0; k < numCarried; ++k) {
    auto init = resolve(op.getCarried()[k]);
    if (!init)
      return init.takeError();
    copy(*init, (*results)[k]);
  }
  auto i64 = elementKind(IntegerType::get(module.getContext(), 64));
  auto i1 = elementKind(IntegerType::get(module.getContext(), 1));
  if (!i64 || !i1)
    return planError("internal: no int64 or bool element kind");
  loop.iteration = newArena(TensorDesc{loop.label + " iteration", *i64, {}});
  loop.conditionIn = newArena(TensorDesc{loop.label + " condition", *i1, {}});

  unsigned loopIndex = plan.loops.size();
  plan.loops.push_back(loop);
  unsigned loopStep = now();
  HostStep s{HostStep::Loop};
  s.index = loopIndex;
  step(s);
  llvm::SmallVector<BufferRef> args = {loop.iteration, loop.conditionIn};
  for (unsigned k = 0; k < numCarried; ++k)
    args.push_back((*results)[k]);
  for (Value v : op.getCaptures()) {
    auto ref = resolve(v);
    if (!ref)
      return ref.takeError();
    args.push_back(use(*ref));
  }
  auto fn = module.lookupSymbol<func::FuncOp>(op.getBody());
  unsigned numOut = fn ? fn.getNumResults() : 0;
  unsigned numScans = op.getNumResults() - numCarried;
  if (fn && numOut != 1 + op.getNumResults())
    return planError("loop '" + loop.label + "': its body returns " + llvm::Twine(numOut) +
                     " values, expected " + llvm::Twine(1 + op.getNumResults()));
  std::vector<std::optional<BufferRef>> dest(numOut);
  std::vector<BufferRef> out;
  if (llvm::Error err = planFunction(op.getBody(), args, dest, out))
    return err;
  HostStep cond{HostStep::LoopCondition};
  cond.index = loopIndex;
  plan.loops[loopIndex].conditionOut = use(out[0]);
  step(cond);
  for (unsigned k = 0; k < numScans; ++k) {
    BufferRef stacked = (*results)[numCarried + k];
    const BufferRef &element = out[1 + numCarried + k];
    if (stacked.desc.shape.empty() ||
        stacked.desc.bytes() % std::max<uint64_t>(element.desc.bytes(), 1) != 0 ||
        stacked.desc.bytes() / std::max<uint64_t>(element.desc.bytes(), 1) !=
            uint64_t(stacked.desc.shape[0]))
      return planError("loop '" + loop.label + "': scan output " + llvm::Twine(k) +
                       " is not its body's element stacked along a first dimension");
    plan.loops[loopIndex].scans.push_back(
        HostLoop::Scan{use(element), use(stacked), uint64_t(stacked.desc.shape[0])});
    HostStep store{HostStep::ScanStore};
    store.index = loopIndex;
    store.scan = k;
    step(store);
  }
  // The next carried values go back into the states. One the body passes
  // through from an argument may be another state (a swap): those go
  // through a copy of their own first, so no state is read after it is
  // overwritten.
  std::vector<BufferRef> next(out.begin() + 1, out.begin() + 1 + numCarried);
  for (unsigned k = 0; k < numCarried; ++k) {
    bool isState = llvm::any_of(llvm::ArrayRef(args).slice(2, numCarried),
                                [&](const BufferRef &a) { return sameBuffer(a, next[k]); });
    if (!isState)
      continue;
    BufferRef temp = newArena(next[k].desc);
    copy(next[k], temp);
    next[k] = temp;
  }
  for (unsigned k = 0; k < numCarried; ++k)
    if (!sameBuffer(next[k], (*results)[k]))
      copy(next[k], (*results)[k]);
  unsigned endStep = now();
  HostStep end{HostStep::EndLoop};
  end.index = loopIndex;
  end.match = loopStep;
  step(end);
  plan.steps[loopStep].match = endStep;
  // What the body reads of the outer scope is read again by every
  // iteration: it lives to the loop's end.
  for (Interval &iv : intervals)
    if (iv.first <= loopStep && iv.last >= loopStep)
      iv.last = std::max(iv.last, endStep);
  return llvm::Error::success();
}

} // namespace kiln::host::detail
