//===- SpirvHost.cpp - a SPIR-V model's dispatches and buffers as data ----===//
#include "targets/spirv/SpirvHost.h"

#include "targets/host/Template.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <map>

namespace kiln::spirv {

namespace {
#include "targets/spirv/SpirvTemplates.inc"
} // namespace

static uint64_t alignUp(uint64_t value) { return (value + kVkAlign - 1) / kVkAlign * kVkAlign; }

SpirvLayout layOut(const host::HostPlan &plan, const std::vector<SpirvKernel> &kernels) {
  SpirvLayout layout;
  layout.scratchBase = alignUp(plan.arenaBytes);
  uint64_t scratch = 0;
  for (const SpirvKernel &kernel : kernels) {
    std::vector<uint64_t> offsets;
    uint64_t used = 0;
    for (uint64_t bytes : kernel.scratchBytes) {
      offsets.push_back(layout.scratchBase + used);
      used += alignUp(bytes);
    }
    scratch = std::max(scratch, used);
    layout.scratchOffsets.push_back(std::move(offsets));
  }
  uint64_t next = layout.scratchBase + scratch;
  for (const host::TensorDesc &t : plan.inputs) {
    layout.inputOffsets.push_back(next);
    next += alignUp(std::max<uint64_t>(t.bytes(), 1));
  }
  for (const host::TensorDesc &t : plan.outputs) {
    layout.outputOffsets.push_back(next);
    next += alignUp(std::max<uint64_t>(t.bytes(), 1));
  }
  layout.arenaBytes = std::max<uint64_t>(next, kVkAlign);
  return layout;
}

static bool isF32(const host::TensorDesc &desc) { return desc.element.type == DType::F32; }

llvm::Error storePlanAsFp16(host::HostPlan &plan) {
  host::ElementKind half{DType::F16, /*halideCode=*/2, /*bits=*/16, /*bytes=*/2, "KILN_DTYPE_F16"};
  // Each weight once, by its offset in the float32 blob.
  std::map<uint64_t, host::TensorDesc> weights;
  for (const host::KernelCall &call : plan.calls)
    for (const host::BufferRef &ref : call.args)
      if (ref.kind == host::BufferRef::Weight)
        weights.emplace(ref.offset, ref.desc);
  std::vector<uint8_t> packed;
  std::map<uint64_t, uint64_t> moved;
  for (const auto &[offset, desc] : weights) {
    uint64_t to = alignUp(packed.size());
    moved[offset] = to;
    if (!isF32(desc)) {
      packed.resize(to + desc.bytes());
      std::copy_n(plan.weights.begin() + offset, desc.bytes(), packed.begin() + to);
      continue;
    }
    uint64_t count = desc.bytes() / 4;
    packed.resize(to + count * 2);
    for (uint64_t i = 0; i < count; ++i) {
      float value;
      std::memcpy(&value, plan.weights.data() + offset + 4 * i, 4);
      llvm::APFloat f(value);
      bool lost;
      f.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven, &lost);
      if (f.isInfinity() && std::isfinite(value))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "--fp16-storage: weight '" + desc.name + "' holds " +
                llvm::formatv("{0}", value).str() +
                ", beyond float16's range (65504); compile without --fp16-storage");
      uint16_t bits = uint16_t(f.bitcastToAPInt().getZExtValue());
      std::memcpy(packed.data() + to + 2 * i, &bits, 2);
    }
  }
  plan.weights = std::move(packed);
  for (host::KernelCall &call : plan.calls)
    for (host::BufferRef &ref : call.args) {
      if (ref.kind == host::BufferRef::Weight)
        ref.offset = moved[ref.offset];
      if (isF32(ref.desc))
        ref.desc.element = half;
    }
  return llvm::Error::success();
}

std::string moduleName(const host::HostPlan &plan, unsigned k, unsigned d) {
  return plan.modelName + "_k" + std::to_string(k) + "_d" + std::to_string(d);
}

static std::string cString(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      out += llvm::formatv("\\{0:o3}", unsigned(static_cast<unsigned char>(c))).str();
    else
      out += c;
  }
  return out + "\"";
}

static host::TemplateValues commonValues(const host::HostPlan &plan,
                                         const std::vector<SpirvKernel> &kernels,
                                         const SpirvLayout &layout,
                                         const SpirvHostOptions &options) {
  size_t dispatches = 0;
  for (const host::KernelCall &call : plan.calls)
    dispatches += kernels[call.kernel].dispatches.size();
  host::TemplateValues values;
  values.text = {{"model", plan.modelName},
                 {"MODEL", llvm::StringRef(plan.modelName).upper()},
                 {"source", options.sourceName},
                 {"arena_bytes", std::to_string(layout.arenaBytes)},
                 {"weights_bytes", std::to_string(plan.weights.size())},
                 {"dispatch_count", std::to_string(dispatches)},
                 {"input_count", std::to_string(plan.inputs.size())},
                 {"output_count", std::to_string(plan.outputs.size())},
                 {"features", std::to_string(options.features) + "u"}};
  values.flags = {{"has_weights", !plan.weights.empty()}};
  return values;
}

std::string emitHeader(const host::HostPlan &plan, const std::vector<SpirvKernel> &kernels,
                       const SpirvLayout &layout, const SpirvHostOptions &options) {
  host::TemplateValues values = commonValues(plan, kernels, layout, options);
  std::string macros;
  llvm::raw_string_ostream os(macros);
  std::string upperModel = llvm::StringRef(plan.modelName).upper();
  for (auto [kind, tensors] : {std::pair{"INPUT", &plan.inputs}, {"OUTPUT", &plan.outputs}})
    for (auto [i, t] : llvm::enumerate(*tensors))
      os << "#define " << upperModel << "_" << kind << "_"
         << llvm::StringRef(host::sanitizeModelName(t.name)).upper() << " " << i << "\n";
  values.text["tensor_index_macros"] = macros;
  return host::fillTemplate(kModelHTemplate, values);
}

/// One binding: the range of the weights or the arena a kernel buffer is.
static std::string binding(const host::BufferRef &ref, const SpirvLayout &layout) {
  const char *region = ref.kind == host::BufferRef::Weight ? "KILN_VK_WEIGHTS" : "KILN_VK_ARENA";
  uint64_t offset = ref.offset;
  if (ref.kind == host::BufferRef::Input)
    offset = layout.inputOffsets[ref.index];
  else if (ref.kind == host::BufferRef::Output)
    offset = layout.outputOffsets[ref.index];
  return "{" + std::string(region) + ", " + std::to_string(offset) + "u, " +
         std::to_string(std::max<uint64_t>(ref.desc.bytes(), 4)) + "u}";
}

std::string emitSource(const host::HostPlan &plan, const std::vector<SpirvKernel> &kernels,
                       const SpirvLayout &layout, const SpirvHostOptions &options) {
  host::TemplateValues values = commonValues(plan, kernels, layout, options);
  std::string tables, modules, bindings, kernelRows, ioIn, ioOut;
  llvm::raw_string_ostream tablesOs(tables), modulesOs(modules), bindingsOs(bindings),
      kernelsOs(kernelRows), inOs(ioIn), outOs(ioOut);
  for (auto [symbol, tensors] :
       {std::pair{"_inputs", &plan.inputs}, std::pair{"_outputs", &plan.outputs}}) {
    tablesOs << "const kiln_tensor_info " << plan.modelName << symbol << "["
             << std::max<size_t>(tensors->size(), 1) << "] = {\n";
    for (const host::TensorDesc &t : *tensors) {
      tablesOs << "    {" << cString(t.name) << ", " << t.element.dtype << ", " << t.shape.size()
               << ", {";
      for (size_t i = 0; i < t.shape.size(); ++i)
        tablesOs << (i ? ", " : "") << t.shape[i];
      tablesOs << "}, " << t.bytes() << "u},\n";
    }
    tablesOs << "};\n";
  }
  for (auto [k, kernel] : llvm::enumerate(kernels))
    for (auto [d, dispatch] : llvm::enumerate(kernel.dispatches)) {
      modulesOs << "static const uint32_t " << moduleName(plan, k, d) << "["
                << dispatch.words.size() << "] = {";
      for (auto [i, w] : llvm::enumerate(dispatch.words))
        modulesOs << (i % 8 ? " " : "\n    ") << llvm::format_hex(w, 10) << "u,";
      modulesOs << "\n};\n";
    }
  unsigned row = 0;
  for (const host::KernelCall &call : plan.calls) {
    const SpirvKernel &kernel = kernels[call.kernel];
    for (auto [d, dispatch] : llvm::enumerate(kernel.dispatches)) {
      std::string table = plan.modelName + "_b" + std::to_string(row++);
      bindingsOs << "static const kiln_vk_binding " << table << "[" << dispatch.bindings.size()
                 << "] = {";
      for (unsigned b : dispatch.bindings) {
        if (b < call.args.size()) {
          bindingsOs << binding(call.args[b], layout) << ", ";
          continue;
        }
        unsigned s = b - call.args.size();
        bindingsOs << "{KILN_VK_ARENA, " << layout.scratchOffsets[call.kernel][s] << "u, "
                   << kernel.scratchBytes[s] << "u}, ";
      }
      bindingsOs << "}; /* " << call.label << " */\n";
      std::string code = moduleName(plan, call.kernel, d);
      kernelsOs << "    {" << code << ", sizeof " << code << ", " << cString(dispatch.entry)
                << ", {" << dispatch.groups[0] << ", " << dispatch.groups[1] << ", "
                << dispatch.groups[2] << "}, " << dispatch.bindings.size() << ", " << table
                << "},\n";
    }
  }
  auto format = [&](const host::TensorDesc &t) {
    return options.fp16Storage && isF32(t) ? "KILN_VK_IO_F32_AS_F16" : "KILN_VK_IO_BYTES";
  };
  for (auto [i, t] : llvm::enumerate(plan.inputs))
    inOs << "    {" << cString(t.name) << ", " << layout.inputOffsets[i] << "u, " << t.bytes()
         << "u, " << format(t) << "},\n";
  for (auto [i, t] : llvm::enumerate(plan.outputs))
    outOs << "    {" << cString(t.name) << ", " << layout.outputOffsets[i] << "u, " << t.bytes()
          << "u, " << format(t) << "},\n";
  values.text["tensor_tables"] = tables;
  values.text["modules"] = modules;
  values.text["bindings"] = bindings;
  values.text["kernels"] = kernelRows;
  values.text["io_inputs"] = ioIn;
  values.text["io_outputs"] = ioOut;
  return host::fillTemplate(kModelCTemplate, values);
}

} // namespace kiln::spirv
