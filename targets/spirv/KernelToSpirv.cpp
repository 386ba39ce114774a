//===- KernelToSpirv.cpp - one kiln.kernel to Vulkan compute modules ------===//
#include "targets/spirv/KernelToSpirv.h"
#include "compiler/support/Error.h"
#include "targets/spirv/Fp16Storage.h"
#include "targets/spirv/NestFusion.h"
#include "targets/spirv/RegisterTile.h"

#include "codegen/schedule/KernelInfo.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/SPIRV/Serialization.h"

#include <cstdlib>
#include <mutex>

using namespace mlir;

namespace kiln::spirv {

std::string validatorEnv(const SpirvOptions &options) {
  return options.vulkan11 ? "vulkan1.1" : "vulkan1.0";
}

namespace {

/// Collects the first error diagnostic (with the op it is attached to) so
/// that a failure names what could not be lowered.
struct Diagnostics {
  explicit Diagnostics(MLIRContext *context)
      : handler(context, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error && message.empty())
            message = diag.str();
          return success();
        }) {}
  std::string message;
  ScopedDiagnosticHandler handler;
};

/// The kernel's body as a func.func @k over tensors, printed in the
/// kernel's context and parsed in the compiler's own.
std::string kernelAsFunction(KernelOp kernel) {
  OpBuilder b(kernel->getContext());
  OwningOpRef<ModuleOp> holder = ModuleOp::create(kernel.getLoc());
  b.setInsertionPointToEnd(holder->getBody());
  Block &body = kernel.getBody().front();
  auto type = b.getFunctionType(body.getArgumentTypes(), kernel->getResultTypes());
  auto func = b.create<func::FuncOp>(kernel.getLoc(), "k", type);
  Block *entry = func.addEntryBlock();
  IRMapping map;
  for (auto [from, to] : llvm::zip(body.getArguments(), entry->getArguments()))
    map.map(from, to);
  b.setInsertionPointToEnd(entry);
  for (Operation &op : body) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      SmallVector<Value> results;
      for (Value v : op.getOperands())
        results.push_back(map.lookup(v));
      b.create<func::ReturnOp>(op.getLoc(), results);
      continue;
    }
    // Operands codegen bakes in (a transpose's perms, a pad's padding) are
    // kernel inputs whose value is known: constants again here, as the
    // TOSA to linalg conversions need (kernelKey tells such kernels apart).
    for (OpOperand &operand : op.getOpOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand.get());
      if (!arg || arg.getOwner() != &body || !codegen::isStaticOperand(operand))
        continue;
      if (std::optional<ElementsAttr> value = codegen::constantValue(arg))
        map.map(arg, b.create<tosa::ConstOp>(op.getLoc(), value->getType(), *value));
    }
    b.clone(op, map);
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  holder->print(os, OpPrintingFlags().printGenericOpForm());
  return text;
}

/// KILN_SPIRV_DUMP=<dir>: the IR after each step, <dir>/<kernel>.<step>.mlir.
void dump(ModuleOp module, llvm::StringRef kernel, llvm::StringRef step) {
  const char *dir = getenv("KILN_SPIRV_DUMP");
  if (!dir)
    return;
  std::error_code ec;
  llvm::raw_fd_ostream os((llvm::Twine(dir) + "/" + kernel + "." + step + ".mlir").str(), ec);
  if (!ec)
    module.print(os);
}

/// Runs `pipeline` (passes on the module, without the builtin.module anchor).
LogicalResult runPipeline(ModuleOp module, llvm::StringRef pipeline, Diagnostics &diags) {
  PassManager pm(module.getContext());
  std::string parseError;
  llvm::raw_string_ostream es(parseError);
  if (failed(parsePassPipeline(pipeline, pm, es))) {
    diags.message = "internal: bad pass pipeline: " + parseError;
    return failure();
  }
  return pm.run(module);
}

/// After bufferization: a result computed into a fresh buffer and copied to
/// its out-parameter is computed there directly; copies left become
/// linalg.copy (loops, like every other op).
void placeResults(func::FuncOp func) {
  SmallVector<memref::CopyOp> copies;
  func.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
  for (memref::CopyOp copy : copies) {
    auto alloc = copy.getSource().getDefiningOp<memref::AllocOp>();
    auto target = dyn_cast<BlockArgument>(copy.getTarget());
    if (alloc && target && alloc.getType() == target.getType() &&
        llvm::count_if(alloc->getUsers(), [](Operation *u) { return isa<memref::CopyOp>(u); }) ==
            1) {
      alloc.getResult().replaceAllUsesWith(target);
      copy.erase();
      alloc.erase();
      continue;
    }
    OpBuilder b(copy);
    b.create<linalg::CopyOp>(copy.getLoc(), copy.getSource(), copy.getTarget());
    copy.erase();
  }
}

/// A generic op whose reduction loops come before parallel ones (TOSA's
/// argmax over a middle axis) gets its parallel loops first, so that
/// convert-linalg-to-parallel-loops makes one nest with the reduction inside
/// each invocation rather than a sequential loop around a nest, which no
/// dispatch can express.
LogicalResult parallelLoopsFirst(func::FuncOp func) {
  SmallVector<linalg::GenericOp> generics;
  func.walk([&](linalg::GenericOp op) { generics.push_back(op); });
  IRRewriter rewriter(func.getContext());
  for (linalg::GenericOp op : generics) {
    SmallVector<unsigned> order;
    auto iterators = op.getIteratorTypesArray();
    for (unsigned pass = 0; pass < 2; ++pass)
      for (auto [i, kind] : llvm::enumerate(iterators))
        if ((kind == utils::IteratorType::parallel) == (pass == 0))
          order.push_back(i);
    if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
      continue;
    rewriter.setInsertionPoint(op);
    if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
      return op.emitError("cannot put its parallel loops first");
  }
  return success();
}

/// Every buffer the kernel still allocates (after the nests are fused)
/// becomes a scratch argument the host places in the arena.
LogicalResult placeScratch(func::FuncOp func, std::vector<uint64_t> &scratchBytes) {
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
      alloc.emitError("an intermediate buffer without a static, dense shape");
      return failure();
    }
    unsigned bits = type.getElementTypeBitWidth();
    uint64_t bytes = uint64_t(type.getNumElements()) * std::max(1u, bits / 8);
    scratchBytes.push_back(bytes);
    BlockArgument arg = func.front().addArgument(type, alloc.getLoc());
    alloc.getResult().replaceAllUsesWith(arg);
    alloc.erase();
  }
  func.setType(FunctionType::get(func.getContext(), func.front().getArgumentTypes(), {}));
  return success();
}

/// A reduction loop that loads and stores one element of a buffer at the
/// same loop-invariant index (a convolution's accumulator, as linalg lowers
/// it) carries the value in a register instead: one load before the loop,
/// one store after. Applied from the innermost loop out, so a whole
/// reduction nest ends up touching its output once. Measured on lavapipe:
/// targets/spirv/README.md.
void promoteAccumulators(func::FuncOp func) {
  SmallVector<scf::ForOp> loops;
  func.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // innermost first
  IRRewriter rewriter(func.getContext());
  for (scf::ForOp loop : loops) {
    Block *body = loop.getBody();
    memref::LoadOp load;
    memref::StoreOp store;
    for (Operation &op : *body) {
      if (auto l = dyn_cast<memref::LoadOp>(op); l && !load)
        for (Operation *user : l.getMemRef().getUsers())
          if (auto s = dyn_cast<memref::StoreOp>(user); s && s->getBlock() == body &&
                                                        l->isBeforeInBlock(s) &&
                                                        llvm::equal(s.getIndices(), l.getIndices()))
            load = l, store = s;
    }
    if (!load)
      continue;
    Value buffer = load.getMemRef();
    bool invariant =
        llvm::all_of(load.getIndices(), [&](Value v) { return loop.isDefinedOutsideOfLoop(v); });
    bool alone = llvm::all_of(buffer.getUsers(), [&](Operation *user) {
      return user == load || user == store || !loop->isAncestor(user);
    });
    if (!invariant || !alone)
      continue;
    SmallVector<Value> indices(load.getIndices());
    rewriter.setInsertionPoint(loop);
    Value init = rewriter.create<memref::LoadOp>(load.getLoc(), buffer, indices);
    Value stored = store.getValueToStore();
    auto replaced = loop.replaceWithAdditionalYields(
        rewriter, ValueRange{init}, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) { return SmallVector<Value>{stored}; });
    if (failed(replaced))
      continue;
    auto newLoop = cast<scf::ForOp>(replaced->getOperation());
    rewriter.replaceAllUsesWith(load.getResult(), newLoop.getRegionIterArgs().back());
    rewriter.eraseOp(store);
    rewriter.eraseOp(load);
    rewriter.setInsertionPointAfter(newLoop);
    rewriter.create<memref::StoreOp>(newLoop.getLoc(), newLoop.getResults().back(), buffer,
                                     indices);
  }
}

/// Maps each top-level parallel nest to workgroups and invocations over its
/// innermost three dimensions (x, y, z; outer dimensions run as loops): a
/// nest with a reduction gets the record's invocation tile in registers
/// (RegisterTile.h), any other one output per invocation.
LogicalResult mapLoops(func::FuncOp func, const codegen::ScheduleRecord &record) {
  std::array<int64_t, 3> wg = {1, 1, 1}, it = {1, 1, 1};
  for (unsigned i = 0; i < 3 && i < record.workgroup.size(); ++i)
    wg[i] = record.workgroup[i];
  for (unsigned i = 0; i < 3 && i < record.invocationTile.size(); ++i)
    it[i] = record.invocationTile[i];
  SmallVector<scf::ParallelOp> nests;
  for (Operation &op : func.front())
    if (auto nest = dyn_cast<scf::ParallelOp>(op))
      nests.push_back(nest);
  // Code between the nests (a reduction to one element, whose unit loops
  // canonicalisation removed) runs as a one-iteration nest of its own.
  auto outside = [](Operation &op) {
    return !isa<scf::ParallelOp, func::ReturnOp, arith::ConstantOp, ViewLikeOpInterface>(op);
  };
  for (Block::iterator it = func.front().begin(); it != func.front().end();) {
    if (!outside(*it)) {
      ++it;
      continue;
    }
    SmallVector<Operation *> run;
    for (; it != func.front().end() && outside(*it); ++it)
      run.push_back(&*it);
    for (Operation *op : run)
      for (Operation *user : op->getUsers())
        if (!llvm::is_contained(run, func.front().findAncestorOpInBlock(*user)))
          return op->emitError() << "'" << op->getName()
                                 << "' is used outside the code that would run as its dispatch";
    OpBuilder b(run.front());
    Location loc = run.front()->getLoc();
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    auto single = b.create<scf::ParallelOp>(loc, ValueRange{zero}, ValueRange{one}, ValueRange{one},
                                            [](OpBuilder &, Location, ValueRange) {});
    Block *body = single.getBody();
    if (body->empty() || !body->back().hasTrait<OpTrait::IsTerminator>())
      OpBuilder::atBlockEnd(body).create<scf::ReduceOp>(loc);
    for (Operation *op : run)
      op->moveBefore(single.getBody()->getTerminator());
    nests.push_back(single);
  }
  bool tiles = llvm::any_of(it, [](int64_t t) { return t > 1; });
  for (scf::ParallelOp nest : nests) {
    if (tiles && registerTileable(nest)) {
      if (failed(registerTile(nest, wg, it)))
        return failure();
      continue;
    }
    // Other nests (elementwise, copies, a reduction reading what it
    // writes) get one output per invocation, guarded at the edges.
    unsigned rank = nest.getNumLoops();
    SmallVector<int64_t> groupTile(rank, 1);
    for (unsigned i = 0; i < 3 && i < rank; ++i)
      groupTile[rank - 1 - i] = wg[i];
    auto [outer, inner] = scf::tileParallelLoop(nest, groupTile, /*noMinMaxBounds=*/true);
    auto assign = [&](scf::ParallelOp loop, bool threads) {
      SmallVector<gpu::ParallelLoopDimMappingAttr> dims;
      for (unsigned d = 0; d < rank; ++d)
        dims.push_back(loopMapping(func.getContext(), rank - 1 - d, threads));
      return gpu::setMappingAttr(loop, dims);
    };
    if (failed(assign(outer, false)) || failed(assign(inner, true)))
      return failure();
  }
  return success();
}

/// The func argument a launch operand views (the nests index their buffers
/// directly after fold-memref-alias-ops; a view left over is looked through).
std::optional<unsigned> baseArgument(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return std::nullopt;
    v = view.getViewSource();
  }
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg)
    return std::nullopt;
  return arg.getArgNumber();
}

std::once_flag registerOnce;

} // namespace

llvm::Expected<SpirvKernel> compileKernel(KernelOp kernel, const codegen::ScheduleRecord &record,
                                          const SpirvOptions &options) {
  std::call_once(registerOnce, [] { registerAllPasses(); });
  std::string name = kernel.getKernelName().str();
  auto fail = [&](llvm::StringRef what, llvm::StringRef message) {
    return makeError("kernel '" + name + "': " + what + ": " + message);
  };
  std::string source = kernelAsFunction(kernel);

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  // The attributes built here (loop mappings, ABI) need their dialects.
  context.loadDialect<gpu::GPUDialect, mlir::spirv::SPIRVDialect, scf::SCFDialect,
                      memref::MemRefDialect, linalg::LinalgDialect, arith::ArithDialect>();
  Diagnostics diags(&context);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  if (!module)
    return fail("cannot read it back", diags.message);

  // TOSA to linalg, elementwise chains fused, then buffers: results become
  // out-parameters after the operands, in the kernel ABI's order.
  if (failed(runPipeline(
          *module,
          "func.func(tosa-to-linalg-named{prefer-conv2d-kernel-layout-hwcf=true},canonicalize,"
          "tosa-to-linalg,tosa-to-arith,"
          "tosa-to-tensor,canonicalize),linalg-fuse-elementwise-ops,canonicalize,"
          "one-shot-bufferize{bufferize-function-boundaries "
          "function-boundary-type-conversion=identity-layout-map},"
          "buffer-results-to-out-params,canonicalize,cse",
          diags)))
    return fail("an op the SPIR-V route cannot lower (TOSA to linalg, buffers)", diags.message);
  dump(*module, name, "1-buffers");
  auto func = module->lookupSymbol<func::FuncOp>("k");
  SpirvKernel out;
  unsigned operands = kernel->getNumOperands() + kernel->getNumResults();
  placeResults(func);
  if (failed(parallelLoopsFirst(func)))
    return fail("cannot order its loops", diags.message);
  if (failed(runPipeline(*module,
                         "func.func(convert-linalg-to-parallel-loops),"
                         "fold-memref-alias-ops,canonicalize",
                         diags)))
    return fail("cannot lower it to parallel loops", diags.message);
  dump(*module, name, "2-loops");
  // Fewer dispatches (NestFusion.h): pads and concats read in place, nests
  // over one iteration space fused, accumulators and intermediates kept in
  // registers.
  virtualizeBuffers(func);
  if (failed(runPipeline(*module, "canonicalize,cse", diags)))
    return fail("internal: canonicalize", diags.message);
  fuseNests(func);
  promoteAccumulators(func);
  forwardStores(func);
  if (failed(runPipeline(*module, "canonicalize,cse", diags)))
    return fail("internal: canonicalize", diags.message);
  if (failed(placeScratch(func, out.scratchBytes)))
    return fail("cannot place its buffers", diags.message);
  if (options.fp16Storage && failed(storeAsFp16(func, out.scratchBytes)))
    return fail("cannot store its buffers as float16", diags.message);
  dump(*module, name, "2a-promoted");
  if (failed(mapLoops(func, record)))
    return fail("cannot map its loops to workgroups", diags.message);
  dump(*module, name, "2b-mapped");
  if (failed(verify(*module)))
    return fail("internal: invalid IR after mapping its loops", diags.message);
  if (failed(runPipeline(*module,
                         "func.func(convert-parallel-loops-to-gpu),lower-affine,"
                         "canonicalize,gpu-launch-sink-index-computations,gpu-kernel-outlining,"
                         "canonicalize,cse",
                         diags)))
    return fail("cannot outline its dispatches", diags.message);
  dump(*module, name, "3-gpu");

  // Vulkan 1.0 takes SPIR-V 1.0; storage buffers need the
  // SPV_KHR_storage_buffer_storage_class extension there (core from 1.1).
  // Float16 buffers need StorageBuffer16BitAccess (SPV_KHR_16bit_storage,
  // core in SPIR-V 1.3) and nothing more: the kernels only load, store and
  // convert halves.
  // Int64 and Float64 (ONNX's int64 indices, doubles) are Vulkan 1.0
  // optional features: a module declares them only if it uses them
  // (spirv-update-vce), and the model then asks create to check them.
  std::string caps =
      options.fp16Storage
          ? "Shader, Int64, Float64, StorageBuffer16BitAccess, Float16" // dropFloat16
          : "Shader, Int64, Float64";
  std::string exts = options.vulkan11 ? "" : "SPV_KHR_storage_buffer_storage_class";
  if (options.fp16Storage)
    exts += std::string(exts.empty() ? "" : ", ") + "SPV_KHR_16bit_storage";
  std::string env = std::string("#spirv.target_env<#spirv.vce<") +
                    (options.vulkan11 ? "v1.3" : "v1.0") + ", [" + caps + "], [" + exts +
                    "]>, #spirv.resource_limits<>>";
  (*module)->setAttr(mlir::spirv::getTargetEnvAttrName(), parseAttribute(env, &context));
  module->walk([&](gpu::GPUFuncOp f) {
    SmallVector<int32_t, 3> size = {1, 1, 1};
    if (auto known = f.getKnownBlockSize())
      size.assign(known->begin(), known->end());
    f->setAttr(mlir::spirv::getEntryPointABIAttrName(),
               mlir::spirv::getEntryPointABIAttr(&context, size));
  });
  if (failed(runPipeline(*module,
                         "gpu.module(arith-expand,convert-math-to-spirv),convert-gpu-to-spirv,"
                         "spirv.module(spirv-lower-abi-attrs,spirv-update-vce)",
                         diags)))
    return fail("an op the SPIR-V route cannot lower (gpu to spirv)", diags.message);
  if (options.fp16Storage) {
    bool dropped = true;
    module->walk([&](mlir::spirv::ModuleOp m) { dropped &= succeeded(dropFloat16(m)); });
    if (!dropped)
      return fail("cannot store its buffers as float16", diags.message);
  }
  dump(*module, name, "4-spirv");

  llvm::StringMap<mlir::spirv::ModuleOp> spirvModules;
  module->walk([&](mlir::spirv::ModuleOp m) {
    if (auto symbol = m.getSymName())
      spirvModules[*symbol] = m;
  });
  llvm::StringMap<SmallVector<int32_t, 3>> blockSizes;
  module->walk([&](gpu::GPUFuncOp f) {
    auto parent = f->getParentOfType<gpu::GPUModuleOp>();
    if (auto known = f.getKnownBlockSize())
      blockSizes[parent.getName()] = SmallVector<int32_t, 3>(known->begin(), known->end());
  });
  llvm::Error failure = llvm::Error::success();
  func.walk([&](gpu::LaunchFuncOp launch) {
    if (failure)
      return;
    StringRef moduleName = launch.getKernelModuleName().getValue();
    auto found = spirvModules.find(("__spv__" + moduleName).str());
    if (found == spirvModules.end()) {
      failure = fail("internal", "no SPIR-V module for " + moduleName.str());
      return;
    }
    SpirvDispatch d;
    d.entry = launch.getKernelName().str();
    if (auto vce = found->second.getVceTriple())
      for (mlir::spirv::Capability cap : vce->getCapabilities()) {
        if (cap == mlir::spirv::Capability::Int64)
          out.features |= kFeatureInt64;
        if (cap == mlir::spirv::Capability::Float64)
          out.features |= kFeatureFloat64;
      }
    SmallVector<uint32_t, 0> words;
    if (mlir::failed(mlir::spirv::serialize(found->second, words))) {
      failure = fail("cannot serialise SPIR-V", diags.message);
      return;
    }
    d.words.assign(words.begin(), words.end());
    Value grid[3] = {launch.getGridSizeX(), launch.getGridSizeY(), launch.getGridSizeZ()};
    for (int i = 0; i < 3; ++i) {
      std::optional<int64_t> c = getConstantIntValue(grid[i]);
      if (!c || *c < 1) {
        failure = fail("internal", "a dispatch size that is not a positive constant");
        return;
      }
      d.groups[i] = uint32_t(*c);
    }
    auto sizes = blockSizes.lookup(moduleName);
    for (unsigned i = 0; i < 3 && i < sizes.size(); ++i)
      d.workgroup[i] = uint32_t(sizes[i]);
    for (Value arg : launch.getKernelOperands()) {
      std::optional<unsigned> base = baseArgument(arg);
      if (!base || !isa<MemRefType>(arg.getType())) {
        failure = fail("internal", "a dispatch argument that is not one of its buffers");
        return;
      }
      // Operand numbering: the kernel's operands, its results, then
      // scratch; the func has exactly that order.
      d.bindings.push_back(*base);
    }
    out.dispatches.push_back(std::move(d));
  });
  if (failure)
    return std::move(failure);
  (void)operands;
  return out;
}

} // namespace kiln::spirv
