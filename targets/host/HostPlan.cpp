//===- HostPlan.cpp - what a model's entry point does, as data ------------===//
#include "targets/host/HostPlan.h"
#include "targets/host/Planner.h"

#include "codegen/schedule/BufferLimits.h"
#include "codegen/schedule/KernelInfo.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "targets/host/InPlace.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>

using namespace mlir;

namespace kiln::host {

using detail::describe;
using detail::planError;

llvm::Error detail::planError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

bool detail::sameBuffer(const BufferRef &a, const BufferRef &b) {
  return a.kind == b.kind && a.index == b.index && a.offset == b.offset;
}

std::string detail::locationName(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return op->getName().getStringRef().str();
}

static uint64_t alignUp(uint64_t value, uint64_t align = kBufferAlign) {
  return (value + align - 1) / align * align;
}

llvm::Expected<ElementKind> elementKind(Type type) {
  auto dtype = dtypeOf(type);
  if (!dtype) {
    llvm::consumeError(dtype.takeError());
    std::string text;
    llvm::raw_string_ostream(text) << type;
    return planError("unsupported element type " + text);
  }
  DTypeLayout layout = layoutOf(*dtype);
  return ElementKind{*dtype, layout.halideCode, layout.bits, uint8_t(dtypeBytes(*dtype)),
                     layout.cEnumerator};
}

llvm::Error checkCBoundary(const HostPlan &plan) {
  for (const std::vector<TensorDesc> *tensors : {&plan.inputs, &plan.outputs})
    for (const TensorDesc &t : *tensors)
      if (!t.element.dtype)
        return planError("'" + t.name + "' has element type " + dtypeName(t.element.type) +
                         ", which has no kiln_dtype (runtime/kiln_runtime.h): the C API "
                         "cannot describe it at a model's boundary");
  return llvm::Error::success();
}

uint64_t TensorDesc::bytes() const {
  uint64_t count = 1;
  for (int64_t d : shape)
    count *= uint64_t(d);
  return count * element.bytes;
}

std::string HostPlan::functionName(unsigned kernel) const {
  return modelName + "_k" + std::to_string(kernel);
}

std::string sanitizeModelName(llvm::StringRef name) {
  std::string out;
  for (char c : name)
    out += (isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || isdigit(static_cast<unsigned char>(out[0])))
    out = "m_" + out;
  return out;
}

/// `role` says what the tensor is in an error message ("input", "weight").
llvm::Expected<TensorDesc> detail::describe(Value value, std::string name, const char *role) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape()) {
    std::string text;
    llvm::raw_string_ostream(text) << value.getType();
    return planError("'" + name + "' has type " + text + "; the host needs static shapes");
  }
  if (llvm::Error err = codegen::checkBufferLimits(type, llvm::Twine(role) + " '" + name + "'"))
    return std::move(err);
  auto kind = elementKind(type.getElementType());
  if (!kind)
    return kind.takeError();
  return TensorDesc{std::move(name), *kind,
                    std::vector<int64_t>(type.getShape().begin(), type.getShape().end())};
}

/// The weight's bytes (codegen::constantBytes: splats expanded, bools one
/// per byte, dense or dense_resource), checked against its tensor type.
static llvm::Expected<std::vector<uint8_t>> constantBytes(ElementsAttr attr,
                                                          const TensorDesc &desc) {
  auto bytes = codegen::constantBytes(attr);
  if (!bytes)
    return planError("weight '" + desc.name + "': " + llvm::toString(bytes.takeError()));
  if (bytes->size() != desc.bytes())
    return planError("weight '" + desc.name + "' holds " + llvm::Twine(bytes->size()) +
                     " bytes, expected " + llvm::Twine(desc.bytes()));
  return bytes;
}

static std::string nameOf(ArrayAttr attrs, unsigned i, const char *fallback) {
  if (attrs && i < attrs.size())
    if (auto dict = dyn_cast_or_null<DictionaryAttr>(attrs[i]))
      if (auto name = dict.getAs<StringAttr>("kiln.name"))
        return name.str();
  return fallback + std::to_string(i);
}

/// Greedy by size, largest first: each interval goes to the lowest offset
/// that does not overlap a placed interval alive at the same time.
static uint64_t assignOffsets(std::vector<detail::Interval> &intervals, uint64_t align) {
  std::vector<unsigned> order(intervals.size());
  for (unsigned i = 0; i < order.size(); ++i)
    order[i] = i;
  llvm::stable_sort(
      order, [&](unsigned a, unsigned b) { return intervals[a].bytes > intervals[b].bytes; });
  std::vector<unsigned> placed;
  uint64_t total = 0;
  for (unsigned i : order) {
    detail::Interval &cur = intervals[i];
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (unsigned j : placed) {
      const detail::Interval &other = intervals[j];
      if (other.first <= cur.last && cur.first <= other.last)
        busy.push_back({other.offset, other.offset + alignUp(other.bytes, align)});
    }
    std::sort(busy.begin(), busy.end());
    uint64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + alignUp(cur.bytes, align) <= begin)
        break;
      offset = std::max(offset, end);
    }
    cur.offset = offset;
    total = std::max(total, offset + alignUp(cur.bytes, align));
    placed.push_back(i);
  }
  return total;
}

/// The interval of an arena input that `call`'s single result can share:
/// the input is read by no later op (no later kernel, not returned), it has
/// the result's size, and the kernel is safe to run in place (InPlace.h).
/// `compiled` is the representative kernel whose function (and schedule
/// record) the call runs. Only values of the call's own function are in
/// `intervalOf`: an argument of a body function (an outer value, read again
/// by the next iteration) is never overwritten.
static std::optional<unsigned> inPlaceInput(kiln::KernelOp call, kiln::KernelOp compiled,
                                            uint64_t bytes,
                                            const llvm::DenseMap<Value, unsigned> &intervalOf,
                                            const std::vector<detail::Interval> &intervals) {
  if (call->getNumResults() != 1)
    return std::nullopt;
  for (Value input : call.getInputs()) {
    auto iv = intervalOf.find(input);
    if (iv == intervalOf.end() || intervals[iv->second].bytes != bytes)
      continue;
    bool dies = llvm::all_of(input.getUsers(), [&](Operation *user) {
      return user == call.getOperation() || user->isBeforeInBlock(call);
    });
    if (!dies)
      continue;
    llvm::SmallVector<unsigned> operands;
    for (auto [i, operand] : llvm::enumerate(call.getInputs()))
      if (operand == input)
        operands.push_back(i);
    if (inPlaceKind(compiled, operands) != InPlaceKind::None)
      return iv->second;
  }
  return std::nullopt;
}

llvm::Expected<BufferRef> detail::Planner::weightRef(Value value, ElementsAttr attr) {
  auto it = buffers.find(value);
  if (it != buffers.end())
    return it->second;
  auto desc = describe(value, "weight" + std::to_string(buffers.size()), "weight");
  if (!desc)
    return desc.takeError();
  auto bytes = constantBytes(attr, *desc);
  if (!bytes)
    return bytes.takeError();
  uint64_t offset = alignUp(plan.weights.size(), alignment);
  plan.weights.resize(offset + bytes->size());
  std::copy(bytes->begin(), bytes->end(), plan.weights.begin() + offset);
  BufferRef ref{BufferRef::Weight, 0, offset, *desc};
  buffers[value] = ref;
  return ref;
}

llvm::Expected<BufferRef> detail::Planner::resolve(Value value) {
  if (auto it = constants.find(value); it != constants.end())
    return weightRef(value, it->second);
  auto it = buffers.find(value);
  if (it == buffers.end())
    return planError("a kernel reads a value the host does not know");
  return it->second;
}

llvm::Error detail::Planner::planOps(Block &body, const llvm::DenseMap<Value, BufferRef> &direct) {
  for (Operation &op : body.without_terminator()) {
    if (auto cst = dyn_cast<tosa::ConstOp>(op)) {
      constants[cst.getResult()] = cst.getValue();
      continue;
    }
    if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
      if (auto elements = dyn_cast<ElementsAttr>(cst.getValue())) {
        constants[cst.getResult()] = elements;
        continue;
      }
    }
    llvm::Error err = llvm::Error::success();
    if (auto kernel = dyn_cast<kiln::KernelOp>(op))
      err = planKernel(kernel, direct);
    else if (auto ifOp = dyn_cast<kiln::IfOp>(op))
      err = planIf(ifOp, direct);
    else if (auto loop = dyn_cast<kiln::LoopOp>(op))
      err = planLoop(loop, direct);
    else
      return planError("op '" + op.getName().getStringRef() +
                       "' is outside any kiln.kernel; the host only runs kernels");
    if (err)
      return err;
  }
  return llvm::Error::success();
}

llvm::Error detail::Planner::planKernel(kiln::KernelOp kernel,
                                        const llvm::DenseMap<Value, BufferRef> &direct) {
  unsigned callIndex = plan.calls.size();
  KernelCall call;
  call.label = kernel.getKernelName().str();
  // One function per kernelKey, not per structural hash: two transposes
  // with the same body but different perms (static operands, baked into
  // the code) hash alike and must stay two functions.
  auto [it, inserted] = kernelByKey.try_emplace(codegen::kernelKey(kernel), plan.kernels.size());
  if (inserted)
    plan.kernels.push_back(kernel);
  call.kernel = it->second;
  // Halide would take a zero-size buffer, but a kernel on one computes
  // nothing and its host pointer may be anything: the importers fold empty
  // tensors to constants, so one here is a bug upstream, said by name.
  auto refuseEmpty = [&](const TensorDesc &desc) -> llvm::Error {
    if (desc.bytes() != 0)
      return llvm::Error::success();
    return planError("kernel '" + call.label + "' has an empty operand or result ('" + desc.name +
                     "'); the host launches no kernel on an empty buffer");
  };
  for (Value input : kernel.getInputs()) {
    auto ref = resolve(input);
    if (!ref)
      return ref.takeError();
    if (llvm::Error err = refuseEmpty(ref->desc))
      return err;
    call.args.push_back(use(*ref));
  }
  for (Value result : kernel.getResults()) {
    auto desc = describe(result, call.label + " result", "intermediate");
    if (!desc)
      return desc.takeError();
    if (llvm::Error err = refuseEmpty(*desc))
      return err;
    BufferRef ref{BufferRef::Arena, 0, 0, *desc};
    if (auto out = direct.find(result); out != direct.end()) {
      ref = use(out->second);
    } else if (auto shared = inPlaceInput(kernel, plan.kernels[call.kernel], desc->bytes(),
                                          intervalOf, intervals)) {
      // The result takes over the dying input's interval: one offset for
      // both, and the interval now ends at the result's last reader.
      intervalOf[result] = *shared;
      ref.offset = *shared;
      ++plan.inPlaceCalls;
    } else {
      ref = newArena(*desc);
      intervalOf[result] = ref.offset;
    }
    buffers[result] = ref;
    call.args.push_back(ref);
  }
  HostStep s{HostStep::Call};
  s.index = callIndex;
  step(s);
  plan.calls.push_back(std::move(call));
  return llvm::Error::success();
}

void detail::Planner::finish() {
  plan.arenaBytes = assignOffsets(intervals, alignment);
  auto patch = [&](BufferRef &ref) {
    if (ref.kind == BufferRef::Arena)
      ref.offset = intervals[ref.offset].offset;
  };
  for (KernelCall &call : plan.calls)
    for (BufferRef &arg : call.args)
      patch(arg);
  for (HostStep &s : plan.steps) {
    if (s.kind == HostStep::Copy || s.kind == HostStep::If)
      patch(s.source);
    if (s.kind == HostStep::Copy)
      patch(s.target);
  }
  for (HostLoop &loop : plan.loops) {
    if (loop.hasTripCount)
      patch(loop.tripCount);
    if (loop.hasCondition)
      patch(loop.condition);
    patch(loop.iteration);
    patch(loop.conditionIn);
    patch(loop.conditionOut);
    for (HostLoop::Scan &scan : loop.scans) {
      patch(scan.element);
      patch(scan.stacked);
    }
  }
  for (OutputCopy &copy : plan.copies)
    patch(copy.source);
}

llvm::Expected<HostPlan> planHost(func::FuncOp main, llvm::StringRef modelName,
                                  uint64_t alignment) {
  HostPlan plan;
  plan.modelName = sanitizeModelName(modelName);
  if (!main.getBody().hasOneBlock())
    return planError("@" + main.getName() + " must have a single block");
  Block &body = main.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  detail::Planner planner(plan, main->getParentOfType<ModuleOp>(), alignment);

  for (auto [i, arg] : llvm::enumerate(main.getArguments())) {
    auto desc = describe(arg, nameOf(main.getArgAttrsAttr(), i, "input"), "input");
    if (!desc)
      return desc.takeError();
    if (main.getArgAttr(i, "kiln.rng")) { // the random state: the context's, no input
      if (desc->shape != std::vector<int64_t>{4} || desc->element.type != DType::I32)
        return planError("the random state must be int32 [4]");
      plan.usesRandom = true;
      planner.define(arg, BufferRef{BufferRef::Rng, 0, 0, *desc});
      continue;
    }
    planner.define(arg, BufferRef{BufferRef::Input, plan.inputs.size(), 0, *desc});
    plan.inputs.push_back(*desc);
  }
  // The first return of each kernel (or kiln.if, kiln.loop) result binds it
  // to the caller's output buffer, so it is written there directly.
  llvm::DenseMap<Value, BufferRef> direct;
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    auto desc = describe(value, nameOf(main.getResAttrsAttr(), i, "output"), "output");
    if (!desc)
      return desc.takeError();
    plan.outputs.push_back(*desc);
    if (auto count = main.getResultAttrOfType<IntegerAttr>(i, "kiln.count_of")) {
      int64_t of = count.getInt();
      if (of < 0 || of >= static_cast<int64_t>(i) || desc->shape != std::vector<int64_t>{1} ||
          desc->element.type != DType::I64)
        return planError("output '" + desc->name +
                         "': a count must be int64 [1] and follow "
                         "the output it counts");
      plan.outputs.back().countOf = of;
      plan.outputs[of].countOutput = i;
    }
    if (auto dim = main.getResultAttrOfType<IntegerAttr>(i, "kiln.bounded_dim")) {
      if (dim.getInt() < 0 || dim.getInt() >= static_cast<int64_t>(desc->shape.size()))
        return planError("output '" + desc->name + "': bounded dimension out of range");
      plan.outputs.back().boundedDim = dim.getInt();
    }
    if (isa_and_nonnull<kiln::KernelOp, kiln::IfOp, kiln::LoopOp>(value.getDefiningOp()) &&
        !direct.count(value)) {
      BufferRef ref{BufferRef::Output, i, 0, *desc};
      direct[value] = ref;
    }
  }

  for (const TensorDesc &out : plan.outputs)
    if ((out.boundedDim >= 0) != (out.countOutput >= 0))
      return planError("output '" + out.name + "': a bounded output needs its count");

  if (llvm::Error err = planner.planOps(body, direct))
    return std::move(err);

  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    auto out = direct.find(value);
    if (out != direct.end() && out->second.index == i)
      continue;
    if (plan.outputs[i].bytes() == 0)
      continue; // an empty output: nothing to copy (the importer's empty constants)
    auto ref = planner.resolve(value);
    if (!ref)
      return ref.takeError();
    if (ref->kind == BufferRef::Arena) // only reachable through a kernel result
      return planError("output '" + plan.outputs[i].name + "' has no buffer");
    plan.copies.push_back(OutputCopy{*ref, i});
  }
  planner.finish();
  return plan;
}

} // namespace kiln::host
