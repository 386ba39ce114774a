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
    auto scheduleMode = kiln::codegen::parseScheduleMode(mode);
    if (!scheduleMode) {
      module.emitError() << llvm::toString(scheduleMode.takeError());
      return signalPassFailure();
    }
    module.walk([&](kiln::KernelOp kernel) {
      if (!overwrite && kernel->hasAttr(kiln::codegen::kScheduleAttrName))
        return;
      kiln::codegen::ScheduleRecord record;
      if (*scheduleMode == kiln::codegen::ScheduleMode::Template)
        record = kiln::codegen::chooseTemplate(kernel, *targetInfo);
      else
        record.mode = *scheduleMode;
      kernel->setAttr(kiln::codegen::kScheduleAttrName, record.toAttr(&getContext()));
    });
  }
};

} // namespace
