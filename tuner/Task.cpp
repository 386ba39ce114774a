//===- Task.cpp - the kernels a model asks the tuner to schedule ----------===//
#include "tuner/Task.h"

#include "codegen/schedule/KernelInfo.h"
#include "codegen/schedule/TuningDb.h"
#include "compiler/support/Error.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;

namespace kiln::tuner {

// @main(activations...) { constants; the kernel; return its results }.
static OwningOpRef<ModuleOp> standalone(KernelOp kernel) {
  MLIRContext *context = kernel->getContext();
  OpBuilder b(context);
  Location loc = kernel.getLoc();
  OwningOpRef<ModuleOp> module(ModuleOp::create(loc));
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> argTypes;
  SmallVector<Value> activations;
  for (Value input : kernel.getInputs()) {
    Operation *def = input.getDefiningOp();
    if (!isa_and_nonnull<tosa::ConstOp, arith::ConstantOp>(def) &&
        !llvm::is_contained(activations, input)) {
      activations.push_back(input);
      argTypes.push_back(input.getType());
    }
  }
  auto func =
      b.create<func::FuncOp>(loc, "main", b.getFunctionType(argTypes, kernel->getResultTypes()));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  IRMapping map;
  for (auto [i, value] : llvm::enumerate(activations))
    map.map(value, entry->getArgument(i));
  for (Value input : kernel.getInputs())
    if (!map.contains(input))
      map.map(input, b.clone(*input.getDefiningOp())->getResult(0));
  Operation *copy = b.clone(*kernel, map);
  b.create<func::ReturnOp>(loc, copy->getResults());
  return module;
}

KernelOp taskKernel(ModuleOp taskModule) {
  KernelOp found;
  taskModule.walk([&](KernelOp k) { found = k; });
  return found;
}

llvm::Expected<std::vector<Task>> extractTasks(ModuleOp module) {
  std::vector<Task> tasks;
  llvm::StringMap<size_t> byIdentity;
  llvm::Error error = llvm::Error::success();
  module.walk([&](KernelOp kernel) {
    if (error)
      return;
    std::string identity = codegen::kernelIdentity(kernel);
    auto [it, inserted] = byIdentity.try_emplace(identity, tasks.size());
    if (!inserted) {
      ++tasks[it->second].calls;
      return;
    }
    auto record = codegen::requireSchedule(kernel);
    if (!record) {
      error = record.takeError();
      return;
    }
    Task task;
    task.identity = identity;
    task.summary = codegen::kernelSummary(kernel);
    task.name = kernel.getKernelName().str();
    task.calls = 1;
    task.pattern = record->pattern;
    task.templateRecord = *record;
    if (kernel.getNumResults()) {
      ArrayRef<int64_t> shape = cast<ShapedType>(kernel.getResult(0).getType()).getShape();
      task.rank = shape.size();
      task.channels = shape.empty() ? 1 : shape.back();
      task.pixels = shape.size() >= 2 ? shape[shape.size() - 2] : 1;
      task.rows = shape.size() >= 3 ? shape[shape.size() - 3] : 1;
    }
    task.streamShape = codegen::streamableShape(kernel);
    OwningOpRef<ModuleOp> taskModule = standalone(kernel);
    llvm::raw_string_ostream os(task.moduleText);
    (*taskModule)->print(os);
    tasks.push_back(std::move(task));
  });
  if (error)
    return std::move(error);
  if (tasks.empty())
    return makeError("the model has no kernels to tune");
  return tasks;
}

} // namespace kiln::tuner
