//===- SchedulesPipeline.cpp - the schedules phase as one pipeline --------===//
#include "codegen/schedule/Passes.h"

namespace kiln {

void buildCodegenSchedulesPipeline(mlir::OpPassManager &pm, llvm::StringRef target,
                                   ScheduleMode mode, bool overwrite) {
  pm.addPass(createKilnPackWeightsPass());
  KilnAssignSchedulesPassOptions assign;
  assign.target = target.str();
  assign.mode = mode;
  assign.overwrite = overwrite;
  pm.addPass(createKilnAssignSchedulesPass(assign));
}

} // namespace kiln
