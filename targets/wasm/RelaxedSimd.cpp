//===- RelaxedSimd.cpp - kernels with f32x4.relaxed_madd ------------------===//
#include "targets/wasm/RelaxedSimd.h"

#include "compiler/support/Error.h"
#include "targets/common/Toolchain.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicsWebAssembly.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::wasm {

/// A float vector of a whole number of f32x4 registers: Halide's vectors are
/// often 8 or 16 lanes, which the backend splits into f32x4 anyway.
static unsigned registersOf(llvm::Type *type) {
  auto *vector = llvm::dyn_cast<llvm::FixedVectorType>(type);
  if (!vector || !vector->getElementType()->isFloatTy() || vector->getNumElements() % 4)
    return 0;
  return vector->getNumElements() / 4;
}

/// a * b + c as relaxed_madd on each f32x4 part of the vectors.
static llvm::Value *madd(llvm::IRBuilder<> &b, llvm::Value *x, llvm::Value *y, llvm::Value *acc,
                         unsigned registers) {
  auto *f32x4 = llvm::FixedVectorType::get(b.getFloatTy(), 4);
  if (registers == 1)
    return b.CreateIntrinsic(llvm::Intrinsic::wasm_relaxed_madd, {f32x4}, {x, y, acc});
  llvm::SmallVector<llvm::Value *> parts;
  for (unsigned r = 0; r < registers; ++r) {
    llvm::SmallVector<int> lanes = {int(4 * r), int(4 * r + 1), int(4 * r + 2), int(4 * r + 3)};
    parts.push_back(
        b.CreateIntrinsic(llvm::Intrinsic::wasm_relaxed_madd, {f32x4},
                          {b.CreateShuffleVector(x, lanes), b.CreateShuffleVector(y, lanes),
                           b.CreateShuffleVector(acc, lanes)}));
  }
  // Concatenate pairwise until one vector is left.
  while (parts.size() > 1) {
    llvm::SmallVector<llvm::Value *> joined;
    for (size_t i = 0; i < parts.size(); i += 2) {
      unsigned width = llvm::cast<llvm::FixedVectorType>(parts[i]->getType())->getNumElements();
      llvm::SmallVector<int> lanes;
      for (unsigned l = 0; l < 2 * width; ++l)
        lanes.push_back(int(l));
      joined.push_back(b.CreateShuffleVector(parts[i], parts[i + 1], lanes));
    }
    parts = std::move(joined);
  }
  return parts.front();
}

/// The fmul operand of `add` that may be fused into it, or null.
static llvm::BinaryOperator *fusableMul(llvm::Instruction &add, unsigned operand) {
  auto *mul = llvm::dyn_cast<llvm::BinaryOperator>(add.getOperand(operand));
  if (!mul || mul->getOpcode() != llvm::Instruction::FMul || !mul->hasAllowContract() ||
      !mul->hasOneUse() || mul->getParent() != add.getParent())
    return nullptr;
  return mul;
}

static unsigned fuseMultiplyAdds(llvm::Function &function) {
  llvm::SmallVector<llvm::Instruction *> adds;
  for (llvm::Instruction &inst : llvm::instructions(function))
    if (inst.getOpcode() == llvm::Instruction::FAdd && inst.hasAllowContract() &&
        registersOf(inst.getType()))
      adds.push_back(&inst);
  unsigned fused = 0;
  for (llvm::Instruction *add : adds) {
    // The registers of a power-of-two vector pair up when concatenated.
    unsigned registers = registersOf(add->getType());
    if (registers & (registers - 1))
      continue;
    for (unsigned operand = 0; operand < 2; ++operand) {
      llvm::BinaryOperator *mul = fusableMul(*add, operand);
      if (!mul)
        continue;
      llvm::IRBuilder<> b(add);
      llvm::Value *result =
          madd(b, mul->getOperand(0), mul->getOperand(1), add->getOperand(1 - operand), registers);
      add->replaceAllUsesWith(result);
      add->eraseFromParent();
      mul->eraseFromParent();
      ++fused;
      break;
    }
  }
  return fused;
}

/// Halide writes its target's features on every function, and the backend
/// takes a function's own over llc's -mattr: relaxed SIMD goes there too.
static void enableRelaxedSimd(llvm::Function &function) {
  llvm::StringRef features = function.getFnAttribute("target-features").getValueAsString();
  if (features.contains("+relaxed-simd"))
    return;
  std::string merged = features.empty() ? "+relaxed-simd" : (features + ",+relaxed-simd").str();
  function.addFnAttr("target-features", merged);
}

llvm::Expected<unsigned> compileRelaxedKernel(llvm::StringRef bitcodeIn,
                                              llvm::StringRef workBitcode,
                                              llvm::StringRef objectOut) {
  llvm::LLVMContext context;
  llvm::SMDiagnostic diagnostic;
  std::unique_ptr<llvm::Module> module = llvm::parseIRFile(bitcodeIn, diagnostic, context);
  if (!module)
    return makeError("cannot read the kernel bitcode '" + bitcodeIn +
                     "': " + diagnostic.getMessage());
  unsigned fused = 0;
  for (llvm::Function &function : *module) {
    if (function.isDeclaration())
      continue;
    fused += fuseMultiplyAdds(function);
    enableRelaxedSimd(function);
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(workBitcode, ec);
    if (ec)
      return makeError("cannot write '" + workBitcode + "': " + ec.message());
    llvm::WriteBitcodeToFile(*module, out);
  }
  // Halide's own optimisation already ran (LLVM 14); llc only selects code.
  if (auto err = toolchain::run("llc-19", {"-O3", "-filetype=obj", "-mattr=+simd128,+relaxed-simd",
                                           workBitcode.str(), "-o", objectOut.str()}))
    return std::move(err);
  return fused;
}

} // namespace kiln::wasm
