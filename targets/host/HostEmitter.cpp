//===- HostEmitter.cpp - a model's C header and entry point ---------------===//
#include "targets/host/HostEmitter.h"

#include "targets/host/Template.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <map>

namespace kiln::host {

namespace {
#include "targets/host/HostTemplates.inc"
} // namespace

uint64_t weightsHash(const std::vector<uint8_t> &weights) {
  uint64_t hash = 14695981039346656037ull; // FNV-1a 64-bit offset basis
  for (uint8_t byte : weights)
    hash = (hash ^ byte) * 1099511628211ull;
  return hash;
}

std::string weightsFileContents(const HostPlan &plan) {
  // The header described in runtime/kiln_runtime.h; integers little-endian.
  std::string file(kWeightsHeaderSize, '\0');
  auto put = [&](size_t at, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
      file[at + i] = char(value >> (8 * i));
  };
  file.replace(0, 7, "KILNWTS");
  put(8, 1, 4); // format version
  put(12, kWeightsHeaderSize, 4);
  put(16, plan.weights.size(), 8);
  put(24, weightsHash(plan.weights), 8);
  file.replace(32, std::min<size_t>(plan.modelName.size(), 31), plan.modelName, 0, 31);
  file.append(reinterpret_cast<const char *>(plan.weights.data()), plan.weights.size());
  return file;
}

static std::string upper(llvm::StringRef s) { return s.upper(); }

static std::string cString(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20)
      out += llvm::formatv("\\{0:o3}", unsigned(static_cast<unsigned char>(c))).str();
    else
      out += c;
  }
  return out + "\"";
}

static void printTensorTable(llvm::raw_ostream &os, const std::string &symbol,
                             const std::vector<TensorDesc> &tensors) {
  os << "const kiln_tensor_info " << symbol << "[" << std::max<size_t>(tensors.size(), 1)
     << "] = {\n";
  for (const TensorDesc &t : tensors) {
    os << "    {" << cString(t.name) << ", " << t.element.dtype << ", " << t.shape.size() << ", {";
    for (size_t i = 0; i < t.shape.size(); ++i)
      os << (i ? ", " : "") << t.shape[i];
    os << "}, " << t.bytes() << "u},\n";
  }
  os << "};\n";
}

/// The call tables run the calls in order, nothing else: a plan with host
/// control flow (kiln.if, kiln.loop) is printed unrolled whatever the target
/// asked for.
static bool compact(const HostPlan &plan, const HostOptions &options) {
  return options.compactCalls && !plan.hasControlFlow();
}

/// What both templates name: the model, its source and its flags.
static TemplateValues commonValues(const HostPlan &plan, const HostOptions &options) {
  TemplateValues values;
  values.text = {
      {"model", plan.modelName}, {"MODEL", upper(plan.modelName)}, {"source", options.sourceName}};
  values.flags = {
      {"external_weights", options.externalWeights},
      {"compact_calls", compact(plan, options)},
      {"install_error_handler", options.installErrorHandler},
      {"lean_checks", options.leanChecks},
      {"random", plan.usesRandom},
      {"reserve_scratch", !options.scratchPerThread.empty() || !options.scratchOnce.empty()}};
  return values;
}

std::string emitHeader(const HostPlan &plan, const HostOptions &options) {
  TemplateValues values = commonValues(plan, options);
  std::string macros;
  llvm::raw_string_ostream os(macros);
  auto indexMacros = [&](const char *kind, const std::vector<TensorDesc> &tensors) {
    for (auto [i, t] : llvm::enumerate(tensors))
      os << "#define " << upper(plan.modelName) << "_" << kind << "_"
         << upper(sanitizeModelName(t.name)) << " " << i << " /* " << t.name << " */\n";
  };
  indexMacros("INPUT", plan.inputs);
  indexMacros("OUTPUT", plan.outputs);
  for (const TensorDesc &t : plan.outputs)
    if (t.boundedDim >= 0)
      os << "/* Output '" << t.name << "' has a data-dependent length: its buffer is sized for\n"
         << " * the bound in " << plan.modelName << "_outputs, dimension " << t.boundedDim
         << " of the run holds as many entries as\n * output '" << plan.outputs[t.countOutput].name
         << "' (int64) says, and the data is dense at the buffer's start. */\n#define "
         << upper(plan.modelName) << "_OUTPUT_" << upper(sanitizeModelName(t.name))
         << "_BOUNDED_DIM " << t.boundedDim << "\n";
  std::string hash;
  llvm::raw_string_ostream(hash) << llvm::format_hex_no_prefix(weightsHash(plan.weights), 16);
  values.text.insert({
      {"in_place_calls", std::to_string(plan.inPlaceCalls)},
      {"arena_bytes", std::to_string(plan.arenaBytes)},
      {"weights_bytes",
       std::to_string(plan.weights.size() + (options.externalWeights ? kWeightsHeaderSize : 0))},
      {"weights_hash", hash},
      {"input_count", std::to_string(plan.inputs.size())},
      {"output_count", std::to_string(plan.outputs.size())},
      {"tensor_index_macros", macros},
  });
  return fillTemplate(kModelHTemplate, values);
}

namespace {
/// Interns Halide dimension tables: one static array per distinct shape.
class DimTables {
public:
  explicit DimTables(std::string prefix) : prefix(std::move(prefix)) {}
  /// The name of the table for `shape`.
  std::string get(const std::vector<int64_t> &shape) {
    unsigned index = tables.try_emplace(shape, tables.size()).first->second;
    return prefix + "_dims" + std::to_string(index);
  }
  std::string definitions() const {
    std::string text;
    llvm::raw_string_ostream os(text);
    for (const auto &[shape, index] : tables) {
      // Halide's dim 0 is the innermost: the tensor's last dimension.
      os << "static halide_dimension_t " << prefix << "_dims" << index << "["
         << std::max<size_t>(shape.size(), 1) << "] = {";
      int64_t stride = 1;
      for (size_t i = shape.size(); i-- > 0;) {
        os << (i + 1 == shape.size() ? "" : ", ") << "{0, " << shape[i] << ", " << stride << ", 0}";
        stride *= shape[i];
      }
      if (shape.empty())
        os << "{0, 1, 1, 0}";
      os << "};\n";
    }
    return text;
  }

private:
  std::string prefix;
  std::map<std::vector<int64_t>, unsigned> tables;
};
} // namespace

static std::string hostPointer(const BufferRef &ref) {
  switch (ref.kind) {
  case BufferRef::Input:
    return llvm::formatv("(void *)inputs[{0}]", ref.index).str();
  case BufferRef::Output:
    return llvm::formatv("outputs[{0}]", ref.index).str();
  case BufferRef::Weight:
    return llvm::formatv("(void *)(ctx->host.weights + {0})", ref.offset).str();
  case BufferRef::Arena:
    return llvm::formatv("ctx->host.arena + {0}", ref.offset).str();
  case BufferRef::Rng:
    return "(void *)ctx->host.rng";
  }
  return "0";
}

/// kiln_host_arg_kind (runtime/kiln_host.h).
static const char *argKind(BufferRef::Kind kind) {
  switch (kind) {
  case BufferRef::Input:
    return "KILN_HOST_ARG_INPUT";
  case BufferRef::Output:
    return "KILN_HOST_ARG_OUTPUT";
  case BufferRef::Weight:
    return "KILN_HOST_ARG_WEIGHTS";
  case BufferRef::Arena:
    return "KILN_HOST_ARG_ARENA";
  case BufferRef::Rng:
    return "KILN_HOST_ARG_RNG";
  }
  return "KILN_HOST_ARG_ARENA";
}

static std::string kernelFailure(const KernelCall &call) {
  return cString("kernel '" + call.label + "' failed");
}

/// `&b[0], &b[1], ...`: a kernel's arguments.
static std::string bufferArgs(size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i)
    text += (i ? ", &b[" : "&b[") + std::to_string(i) + "]";
  return text;
}

/// The compact form of the calls (HostOptions::compactCalls): the rows of
/// the argument and call tables and the cases of the kernel switch that the
/// template's loop runs.
static void compactCalls(const HostPlan &plan, DimTables &dims, TemplateValues &values) {
  std::string argRows, callRows, cases;
  size_t maxArgs = 1;
  unsigned first = 0;
  for (const KernelCall &call : plan.calls) {
    for (const BufferRef &arg : call.args)
      argRows +=
          llvm::formatv("    {{{0}, {1}, {2}, {3}, {4}, {5}u},\n", argKind(arg.kind),
                        unsigned(arg.desc.element.halideCode), unsigned(arg.desc.element.bits),
                        arg.desc.shape.size(), dims.get(arg.desc.shape),
                        arg.kind == BufferRef::Input || arg.kind == BufferRef::Output ? arg.index
                                                                                      : arg.offset)
              .str();
    callRows += llvm::formatv("    {{{0}, {1}, {2}, {3}},\n", call.kernel, call.args.size(), first,
                              kernelFailure(call))
                    .str();
    first += call.args.size();
    maxArgs = std::max(maxArgs, call.args.size());
  }
  for (unsigned k = 0; k < plan.kernels.size(); ++k) {
    kiln::KernelOp kernel = plan.kernels[k];
    cases += llvm::formatv("  case {0}:\n    return {1}({2});\n", k, plan.functionName(k),
                           bufferArgs(kernel.getInputs().size() + kernel.getNumResults()))
                 .str();
  }
  values.text.insert({{"arg_rows", argRows},
                      {"call_rows", callRows},
                      {"kernel_cases", cases},
                      {"max_call_args", std::to_string(maxArgs)}});
}

/// One call: binds its arguments and calls its kernel.
static void printCall(llvm::raw_ostream &os, const HostPlan &plan, const KernelCall &call,
                      DimTables &dims, const std::string &indent) {
  os << indent << "{ /* " << call.label << " */\n"
     << indent << "  halide_buffer_t b[" << call.args.size() << "];\n";
  for (auto [i, arg] : llvm::enumerate(call.args))
    os << indent << "  kiln_host_bind(&b[" << i << "], " << hostPointer(arg) << ", "
       << unsigned(arg.desc.element.halideCode) << ", " << unsigned(arg.desc.element.bits) << ", "
       << arg.desc.shape.size() << ", " << dims.get(arg.desc.shape) << ");\n";
  os << indent << "  if (" << plan.functionName(call.kernel) << "(" << bufferArgs(call.args.size())
     << ") != 0)\n"
     << indent << "    return kiln_host_kernel_failed(&ctx->host, " << kernelFailure(call) << ");\n"
     << indent << "}\n";
}

/// The steps unrolled (HostPlan::steps): calls, copies, and the branches
/// and loops of kiln.if and kiln.loop as C `if` and `for` around them
/// (docs/CONTROL_FLOW.md).
static std::string unrolledCalls(const HostPlan &plan, DimTables &dims) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string indent = "  ";
  auto open = [&] { indent += "  "; };
  auto close = [&] { indent.resize(indent.size() - 2); };
  for (const HostStep &step : plan.steps) {
    std::string l = std::to_string(step.index);
    const HostLoop *loop = step.index < plan.loops.size() ? &plan.loops[step.index] : nullptr;
    switch (step.kind) {
    case HostStep::Call:
      printCall(os, plan, plan.calls[step.index], dims, indent);
      break;
    case HostStep::Copy:
      os << indent << "__builtin_memcpy(" << hostPointer(step.target) << ", "
         << hostPointer(step.source) << ", " << step.target.desc.bytes() << "u);\n";
      break;
    case HostStep::If:
      os << indent << "if (*(const uint8_t *)(" << hostPointer(step.source) << ")) { /* if '"
         << step.label << "' */\n";
      open();
      break;
    case HostStep::Else:
      close();
      os << indent << "} else {\n";
      open();
      break;
    case HostStep::EndIf:
      close();
      os << indent << "}\n";
      break;
    case HostStep::Loop:
      os << indent << "{ /* loop '" << loop->label << "' */\n";
      open();
      os << indent << "const int64_t trip" << l << " = "
         << (loop->hasTripCount ? "*(const int64_t *)(" + hostPointer(loop->tripCount) + ")"
                                : std::string("(int64_t)0x7fffffffffffffffLL"))
         << ";\n"
         << indent << "int go" << l << " = "
         << (loop->hasCondition ? "*(const uint8_t *)(" + hostPointer(loop->condition) + ") != 0"
                                : std::string("1"))
         << ";\n"
         << indent << "int64_t i" << l << " = 0;\n"
         << indent << "for (; go" << l << " && i" << l << " < trip" << l << "; ++i" << l << ") {\n";
      open();
      os << indent << "*(int64_t *)(" << hostPointer(loop->iteration) << ") = i" << l << ";\n"
         << indent << "*(uint8_t *)(" << hostPointer(loop->conditionIn) << ") = 1;\n";
      break;
    case HostStep::LoopCondition:
      os << indent << "go" << l << " = *(const uint8_t *)(" << hostPointer(loop->conditionOut)
         << ") != 0;\n";
      break;
    case HostStep::ScanStore: {
      const HostLoop::Scan &scan = loop->scans[step.scan];
      uint64_t bytes = scan.element.desc.bytes();
      os << indent << "if (i" << l << " >= " << scan.rows << ")\n"
         << indent << "  return kiln_host_kernel_failed(&ctx->host, "
         << cString("loop '" + loop->label + "' runs more iterations than its scan outputs' " +
                    std::to_string(scan.rows) + " rows")
         << ");\n"
         << indent << "__builtin_memcpy((uint8_t *)(" << hostPointer(scan.stacked) << ") + i" << l
         << " * " << bytes << ", " << hostPointer(scan.element) << ", " << bytes << "u);\n";
      break;
    }
    case HostStep::EndLoop:
      close();
      os << indent << "}\n";
      for (const HostLoop::Scan &scan : loop->scans)
        os << indent << "if (i" << l << " != " << scan.rows << ")\n"
           << indent << "  return kiln_host_kernel_failed(&ctx->host, "
           << cString("loop '" + loop->label + "' ran fewer iterations than its scan outputs' " +
                      std::to_string(scan.rows) + " rows")
           << ");\n";
      close();
      os << indent << "}\n";
      break;
    }
  }
  return text;
}

static std::string sizeList(const std::vector<uint64_t> &sizes) {
  std::string text;
  for (uint64_t size : sizes)
    text += std::to_string(size) + "u, ";
  return text + "0u";
}

std::string emitSource(const HostPlan &plan, const HostOptions &options) {
  const std::string &m = plan.modelName;
  TemplateValues values = commonValues(plan, options);
  DimTables dims(m);
  if (compact(plan, options))
    compactCalls(plan, dims, values);
  else
    values.text["calls"] = unrolledCalls(plan, dims);

  std::string declarations, tensorTables, copies;
  llvm::raw_string_ostream ds(declarations), ts(tensorTables), cs(copies);
  for (unsigned k = 0; k < plan.kernels.size(); ++k) {
    kiln::KernelOp kernel = plan.kernels[k];
    unsigned args = kernel.getInputs().size() + kernel.getNumResults();
    ds << "int " << plan.functionName(k) << "(";
    for (unsigned i = 0; i < args; ++i)
      ds << (i ? ", " : "") << "halide_buffer_t *";
    ds << ");\n";
  }
  printTensorTable(ts, m + "_inputs", plan.inputs);
  printTensorTable(ts, m + "_outputs", plan.outputs);
  for (const OutputCopy &copy : plan.copies)
    cs << "  __builtin_memcpy(outputs[" << copy.output << "], " << hostPointer(copy.source) << ", "
       << plan.outputs[copy.output].bytes() << "u);\n";
  // Outputs of data-dependent length: packed once their count is known.
  for (auto [i, out] : llvm::enumerate(plan.outputs)) {
    if (out.boundedDim < 0)
      continue;
    uint64_t outer = 1, row = out.element.bytes;
    for (int64_t d = 0; d < out.boundedDim; ++d)
      outer *= out.shape[d];
    for (size_t d = out.boundedDim + 1; d < out.shape.size(); ++d)
      row *= out.shape[d];
    cs << "  if (kiln_host_pack_bounded(outputs[" << i << "], *(const int64_t *)outputs["
       << out.countOutput << "], " << outer << "u, " << out.shape[out.boundedDim] << ", " << row
       << "u) != 0)\n    return kiln_host_kernel_failed(&ctx->host, "
       << cString("output '" + out.name + "': run-time length out of range") << ");\n";
  }
  values.text.insert({
      {"kernel_declarations", declarations},
      {"tensor_tables", tensorTables},
      {"dim_tables", dims.definitions()},
      {"output_copies", copies},
      {"scratch_per_thread", sizeList(options.scratchPerThread)},
      {"scratch_per_thread_count", std::to_string(options.scratchPerThread.size())},
      {"scratch_once", sizeList(options.scratchOnce)},
      {"scratch_once_count", std::to_string(options.scratchOnce.size())},
  });
  return fillTemplate(kModelCTemplate, values);
}

} // namespace kiln::host
