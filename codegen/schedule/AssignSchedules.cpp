//===- AssignSchedules.cpp - a schedule record on every kernel -----------===//
//
// Schedules are data chosen before codegen, so that they can be printed
// (kilnc --compile-to=schedules), replaced by a tuner's records, and reused
// for every kernel with the same structure.
//
//===----------------------------------------------------------------------===//
#include "codegen/schedule/Passes.h"
#include "codegen/schedule/Schedule.h"

namespace kiln {
#define GEN_PASS_DEF_KILNASSIGNSCHEDULESPASS
#include "codegen/schedule/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct AssignSchedulesPass : kiln::impl::KilnAssignSchedulesPassBase<AssignSchedulesPass> {
  using KilnAssignSchedulesPassBase::KilnAssignSchedulesPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto targetInfo = kiln::codegen::parseTargetInfo(target);
    if (!targetInfo) {
      module.emitError() << llvm::toString(targetInfo.takeError());
      return signalPassFailure();
    }
    bool failed = false;
    module.walk([&](kiln::KernelOp kernel) {
      if (!overwrite && kernel->hasAttr(kiln::codegen::kScheduleAttrName))
        return;
      // An autoscheduler's record keeps the template's knobs: codegen falls
      // back to them if Halide fails on the autoscheduler's schedule.
      kiln::codegen::ScheduleRecord record = kiln::codegen::chooseTemplate(kernel, *targetInfo);
      record.mode = mode;
      auto attr = record.toAttr(&getContext());
      if (!attr) {
        kernel.emitError() << llvm::toString(attr.takeError());
        failed = true;
        return;
      }
      kernel->setAttr(kiln::codegen::kScheduleAttrName, *attr);
      std::string source = kiln::codegen::scheduleModeName(mode);
      if (kiln::codegen::streamsOnePixel(kernel, *targetInfo, record))
        source += kiln::codegen::kStreamsOnePixelNote;
      kernel->setAttr(kiln::codegen::kScheduleSourceAttrName,
                      StringAttr::get(&getContext(), source));
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
