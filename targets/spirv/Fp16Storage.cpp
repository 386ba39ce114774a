//===- Fp16Storage.cpp - float32 buffers stored as float16 ----------------===//
#include "targets/spirv/Fp16Storage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;

namespace kiln::spirv {

LogicalResult storeAsFp16(func::FuncOp func, std::vector<uint64_t> &scratchBytes) {
  Block &entry = func.front();
  OpBuilder b(func.getContext());
  Type f16 = b.getF16Type(), f32 = b.getF32Type();
  unsigned firstScratch = entry.getNumArguments() - scratchBytes.size();
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || type.getElementType() != f32)
      continue;
    // Check every use first, so a failure leaves the function unchanged.
    for (Operation *user : arg.getUsers()) {
      auto store = dyn_cast<memref::StoreOp>(user);
      if (!isa<memref::LoadOp>(user) && !(store && store.getMemRef() == arg))
        return user->emitError("--fp16-storage: a float32 buffer used by '")
               << user->getName() << "', not only loaded and stored";
    }
    arg.setType(MemRefType::get(type.getShape(), f16, type.getLayout(), type.getMemorySpace()));
    for (Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
      if (auto load = dyn_cast<memref::LoadOp>(user)) {
        // The half loaded is widened at once: arithmetic stays float32.
        load.getResult().setType(f16);
        b.setInsertionPointAfter(load);
        auto wide = b.create<arith::ExtFOp>(load.getLoc(), f32, load.getResult());
        load.getResult().replaceAllUsesExcept(wide, wide);
        continue;
      }
      auto store = cast<memref::StoreOp>(user);
      b.setInsertionPoint(store);
      Value narrow = b.create<arith::TruncFOp>(store.getLoc(), f16, store.getValueToStore());
      store->setOperand(0, narrow); // operand 0: the value stored
    }
    if (arg.getArgNumber() >= firstScratch)
      scratchBytes[arg.getArgNumber() - firstScratch] = uint64_t(type.getNumElements()) * 2;
  }
  func.setType(FunctionType::get(func.getContext(), entry.getArgumentTypes(), {}));
  return success();
}

LogicalResult dropFloat16(mlir::spirv::ModuleOp module) {
  std::optional<mlir::spirv::VerCapExtAttr> vce = module.getVceTriple();
  if (!vce)
    return success();
  auto isHalf = [](Type t) { return t.isF16(); };
  // A half constant (a store of a constant, folded through the truncf)
  // becomes a float constant converted: half constants need Float16.
  SmallVector<mlir::spirv::ConstantOp> halves;
  module.walk([&](mlir::spirv::ConstantOp c) {
    if (c.getType().isF16())
      halves.push_back(c);
  });
  for (mlir::spirv::ConstantOp c : halves) {
    OpBuilder b(c);
    auto value = cast<FloatAttr>(c.getValue()).getValue();
    bool lost;
    value.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven, &lost);
    Type f32 = b.getF32Type();
    auto wide = b.create<mlir::spirv::ConstantOp>(c.getLoc(), f32, b.getFloatAttr(f32, value));
    auto narrow = b.create<mlir::spirv::FConvertOp>(c.getLoc(), c.getType(), wide);
    c.getResult().replaceAllUsesWith(narrow.getResult());
    c.erase();
  }
  WalkResult walk = module.walk([&](Operation *op) {
    bool halfIn = llvm::any_of(op->getOperandTypes(), isHalf);
    bool halfOut = llvm::any_of(op->getResultTypes(), isHalf);
    if ((halfOut && !isa<mlir::spirv::LoadOp, mlir::spirv::FConvertOp>(op)) ||
        (halfIn && !isa<mlir::spirv::StoreOp, mlir::spirv::FConvertOp>(op))) {
      op->emitError("--fp16-storage: a half value used by '")
          << op->getName() << "', which StorageBuffer16BitAccess alone does not allow";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  SmallVector<mlir::spirv::Capability> caps;
  for (mlir::spirv::Capability cap : vce->getCapabilities())
    if (cap != mlir::spirv::Capability::Float16)
      caps.push_back(cap);
  SmallVector<mlir::spirv::Extension> exts(vce->getExtensions());
  module.setVceTripleAttr(
      mlir::spirv::VerCapExtAttr::get(vce->getVersion(), caps, exts, module.getContext()));
  return success();
}

} // namespace kiln::spirv
