//===- Schedule.cpp - schedule records: a kernel's schedule as data -------===//
#include "codegen/schedule/Schedule.h"

#include "compiler/support/Error.h"
#include "dialects/kiln/KilnDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

#include <unistd.h>

using namespace mlir;

namespace kiln::codegen {

std::string scheduleModeName(ScheduleMode mode) {
  if (mode == ScheduleMode::Template)
    return "template";
  return ("auto:" + stringifyScheduleMode(mode)).str();
}

llvm::Expected<ScheduleMode> parseScheduleMode(llvm::StringRef name) {
  std::optional<ScheduleMode> mode;
  llvm::StringRef scheduler = name;
  if (name == "template")
    mode = ScheduleMode::Template;
  else if (scheduler.consume_front("auto:") && scheduler != "template")
    mode = symbolizeScheduleMode(scheduler);
  if (!mode)
    return makeError("unknown schedule mode '" + name +
                     "' (expected template, auto:adams2019, auto:li2018 or auto:mullapudi2016)");
  return *mode;
}

llvm::StringRef patternName(KernelPattern pattern) { return stringifyKernelPattern(pattern); }

bool ScheduleRecord::operator==(const ScheduleRecord &o) const {
  return mode == o.mode && pattern == o.pattern && vectorWidth == o.vectorWidth &&
         channelTile == o.channelTile && pixelTile == o.pixelTile && rowTile == o.rowTile &&
         unroll == o.unroll && parallelDims == o.parallelDims && computeAt == o.computeAt &&
         order == o.order && stageTiles == o.stageTiles && workgroup == o.workgroup &&
         invocationTile == o.invocationTile;
}

llvm::Expected<ScheduleAttr> ScheduleRecord::toAttr(MLIRContext *context) const {
  std::optional<ComputeAt> at = symbolizeComputeAt(computeAt);
  if (!at)
    return makeError("schedule record: 'compute_at' must be tile, row or root, not '" + computeAt +
                     "'");
  std::optional<TileOrder> tileOrder = symbolizeTileOrder(order);
  if (!tileOrder)
    return makeError("schedule record: 'order' must be pixel_major or channel_major, not '" +
                     order + "'");
  auto array = [&](const std::vector<int> &v) {
    return DenseI64ArrayAttr::get(context, SmallVector<int64_t>(v.begin(), v.end()));
  };
  std::string message;
  // The verifier's diagnostic becomes the error: capture it rather than
  // letting it reach whatever handler the context has.
  ScopedDiagnosticHandler capture(context, [&](Diagnostic &diag) {
    if (message.empty())
      message = diag.str();
    return success();
  });
  auto emitError = [&] { return mlir::emitError(UnknownLoc::get(context)); };
  ScheduleAttr attr = ScheduleAttr::getChecked(
      llvm::function_ref<InFlightDiagnostic()>(emitError), context, ScheduleAttr::kVersion, mode,
      pattern, int64_t(vectorWidth), int64_t(channelTile), int64_t(pixelTile), int64_t(rowTile),
      int64_t(unroll), array(parallelDims), *at, *tileOrder,
      stageTiles.empty() ? DenseI64ArrayAttr() : array(stageTiles),
      workgroup.empty() ? DenseI64ArrayAttr() : array(workgroup),
      invocationTile.empty() ? DenseI64ArrayAttr() : array(invocationTile));
  if (!attr)
    return makeError(message);
  return attr;
}

ScheduleRecord ScheduleRecord::fromAttr(ScheduleAttr attr) {
  ScheduleRecord r;
  r.mode = attr.getMode();
  r.pattern = attr.getPattern();
  r.vectorWidth = attr.getVectorWidth();
  r.channelTile = attr.getChannelTile();
  r.pixelTile = attr.getPixelTile();
  r.rowTile = attr.getRowTile();
  r.unroll = attr.getUnroll();
  r.parallelDims.assign(attr.getParallel().asArrayRef().begin(),
                        attr.getParallel().asArrayRef().end());
  r.computeAt = stringifyComputeAt(attr.getComputeAt()).str();
  r.order = stringifyTileOrder(attr.getOrder()).str();
  if (DenseI64ArrayAttr stages = attr.getStageTiles())
    r.stageTiles.assign(stages.asArrayRef().begin(), stages.asArrayRef().end());
  if (DenseI64ArrayAttr wg = attr.getWorkgroup())
    r.workgroup.assign(wg.asArrayRef().begin(), wg.asArrayRef().end());
  if (DenseI64ArrayAttr it = attr.getInvocationTile())
    r.invocationTile.assign(it.asArrayRef().begin(), it.asArrayRef().end());
  return r;
}

std::string ScheduleRecord::serialize(MLIRContext *context) const {
  auto attr = toAttr(context);
  if (!attr)
    return "<invalid record: " + llvm::toString(attr.takeError()) + ">";
  std::string text;
  llvm::raw_string_ostream os(text);
  Attribute(*attr).print(os);
  return text;
}

llvm::Expected<ScheduleRecord> ScheduleRecord::parse(llvm::StringRef text, MLIRContext *context) {
  context->getOrLoadDialect<KilnDialect>();
  std::string message;
  ScopedDiagnosticHandler capture(context, [&](Diagnostic &diag) {
    if (message.empty())
      message = diag.str();
    return success();
  });
  size_t consumed = 0;
  Attribute attr = parseAttribute(text, context, Type(), &consumed);
  if (!attr)
    return makeError("schedule record '" + text + "': " + message);
  if (consumed != text.size())
    return makeError("schedule record '" + text + "': unexpected text after the record");
  auto record = dyn_cast<ScheduleAttr>(attr);
  if (!record)
    return makeError("schedule record '" + text + "': not a #kiln.schedule attribute");
  return fromAttr(record);
}

void ScheduleRecord::print(llvm::raw_ostream &os) const {
  os << scheduleModeName(mode);
  if (mode != ScheduleMode::Template)
    return;
  os << " " << patternName(pattern) << " vw=" << vectorWidth << " ct=" << channelTile
     << " pt=" << pixelTile << " rt=" << rowTile << " unroll=" << unroll << " parallel=[";
  llvm::interleave(parallelDims, os, ",");
  os << "] at=" << computeAt << " order=" << order;
  for (size_t i = 0; i + 2 < stageTiles.size(); i += 3)
    os << (i ? "," : " stages=") << stageTiles[i] << "x" << stageTiles[i + 1] << "x"
       << stageTiles[i + 2];
  if (workgroup.size() == 3 && invocationTile.size() == 3)
    os << " workgroup=" << workgroup[0] << "x" << workgroup[1] << "x" << workgroup[2]
       << " per_invocation=" << invocationTile[0] << "x" << invocationTile[1] << "x"
       << invocationTile[2];
}

std::string ScheduleRecord::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os);
  return s;
}

llvm::Expected<TargetInfo> parseTargetInfo(llvm::StringRef target) {
  TargetInfo info;
  info.target = target.str();
  if (target == "host") {
    // Ask LLVM (not Halide: this file must build without it) what this
    // machine has; Halide's own host detection agrees on these features.
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    auto has = [&](StringRef f) { return features.lookup(f); };
    info.vectorLanesF32 = has("avx512f") ? 16 : has("avx2") ? 8 : 4;
    info.hasAvx512 = has("avx512f");
    info.l2Bytes = info.hasAvx512 ? 2 * 1024 * 1024 : 512 * 1024;
#ifdef _SC_LEVEL2_CACHE_SIZE
    if (long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE); l2 > 0)
      info.l2Bytes = l2;
#endif
    return info;
  }
  if (target == "spirv") {
    info.isGpu = true;
    return info;
  }
  SmallVector<StringRef> parts;
  target.split(parts, '-');
  if (parts.size() < 3 || !llvm::is_contained({"x86", "arm", "wasm"}, parts[0]))
    return makeError("unknown target '" + target +
                     "' (expected host, spirv or a Halide target string such as "
                     "x86-64-linux-avx2-fma or wasm-32-wasmrt-wasm_simd128)");
  info.isWasm = parts[0] == "wasm";
  auto hasPrefix = [&](StringRef prefix) {
    return llvm::any_of(parts, [&](StringRef p) { return p.starts_with(prefix); });
  };
  if (info.isWasm)
    info.vectorLanesF32 = hasPrefix("wasm_simd128") ? 4 : 1;
  else if (parts[0] == "arm") {
    info.vectorLanesF32 = 4; // NEON: 128-bit vectors
    info.isArm = true;
  } else {
    info.hasAvx512 = hasPrefix("avx512");
    info.vectorLanesF32 = info.hasAvx512 ? 16 : hasPrefix("avx2") ? 8 : 4;
    // A target string names no cache: the AVX-512 Xeons' 2 MB (the rules
    // below were measured there), 512 KB below (Zen 2-4; Intel client
    // cores have 256 KB-2 MB).
    info.l2Bytes = info.hasAvx512 ? 2 * 1024 * 1024 : 512 * 1024;
  }
  return info;
}

llvm::Expected<std::optional<ScheduleRecord>> getSchedule(KernelOp kernel) {
  Attribute attr = kernel->getAttr(kScheduleAttrName);
  if (!attr)
    return std::nullopt;
  auto record = dyn_cast<ScheduleAttr>(attr);
  if (!record)
    return makeError("kernel '" + kernel.getKernelName() + "': " + kScheduleAttrName +
                     " must be a #kiln.schedule<...> record");
  return std::optional<ScheduleRecord>(ScheduleRecord::fromAttr(record));
}

llvm::Expected<ScheduleRecord> requireSchedule(KernelOp kernel) {
  auto record = getSchedule(kernel);
  if (!record)
    return record.takeError();
  if (!*record)
    return makeError("kernel '" + kernel.getKernelName() +
                     "' has no schedule record: run the schedules phase first (kilnc "
                     "--compile-to=schedules shows it)");
  return **record;
}

} // namespace kiln::codegen
