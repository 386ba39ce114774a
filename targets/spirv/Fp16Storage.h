//===- Fp16Storage.h - float32 buffers stored as float16 -----------*- C++ -*-===//
//
// --fp16-storage: every float32 buffer a kernel binds (operands, results,
// scratch) holds float16 on the device; the kernel loads a half, widens it
// to float and computes in float32, and narrows what it stores. Applied to
// every kernel alike, with the host storing every float32 weight,
// activation, input and output as float16 too (SpirvTarget.cpp converts the
// weights at compile time, the runtime converts inputs and outputs in run),
// so one compiled kernel serves every call whatever its arguments are: no
// per-call variants. The modules then need the StorageBuffer16BitAccess
// capability (VK_KHR_16bit_storage, core in Vulkan 1.1) and no Float16
// arithmetic.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_SPIRV_FP16STORAGE_H
#define KILN_TARGETS_SPIRV_FP16STORAGE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"

#include <cstdint>
#include <vector>

namespace kiln::spirv {

/// Makes each f32 memref argument of `func` (at this point every buffer the
/// kernel touches is an argument, indexed by memref.load/store only) an f16
/// one. `scratchBytes` describes the trailing `scratchBytes.size()`
/// arguments; their sizes are halved where they change. Fails, naming the
/// op, on any other use of such a buffer.
mlir::LogicalResult storeAsFp16(mlir::func::FuncOp func, std::vector<uint64_t> &scratchBytes);

/// MLIR 19's SPIR-V conversion only converts a memref.load of a half when
/// the target has Float16 (the half value's own type), so the kernels are
/// converted with it; the module only loads, stores and converts halves,
/// which SPV_KHR_16bit_storage allows with StorageBuffer16BitAccess alone.
/// This checks that every half value is such an operand or result and
/// removes Float16 from the module's capabilities; spirv-val checks the
/// result in the tests.
mlir::LogicalResult dropFloat16(mlir::spirv::ModuleOp module);

} // namespace kiln::spirv

#endif
