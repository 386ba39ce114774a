//===- CodegenTestUtil.cpp - building and running one-kernel models -------===//
#include "CodegenTestUtil.h"

#include "compiler/pipeline/Pipeline.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/Parser/Parser.h"

#include <cmath>

using namespace mlir;

namespace kiln::codegen::testing {

std::string kernelModel(const std::vector<Operand> &operands, const std::string &body,
                        const std::string &resultType) {
  std::string args, argTypes, consts, kernelArgs, blockArgs;
  int numArgs = 0;
  for (size_t i = 0; i < operands.size(); ++i) {
    const Operand &o = operands[i];
    std::string name;
    if (o.constant.empty()) {
      name = "%a" + std::to_string(numArgs);
      args += (numArgs ? ", " : "") + name + ": " + o.type;
      ++numArgs;
    } else {
      name = "%c" + std::to_string(i);
      consts +=
          "  " + name + " = \"tosa.const\"() {value = " + o.constant + "} : () -> " + o.type + "\n";
    }
    kernelArgs += (i ? ", " : "") + name;
    argTypes += (i ? ", " : "") + o.type;
    blockArgs += (i ? ", " : "") + ("%b" + std::to_string(i)) + ": " + o.type;
  }
  return "func.func @main(" + args + ") -> " + resultType + " {\n" + consts +
         "  %k = kiln.kernel \"k\" (" + kernelArgs + ") : (" + argTypes + ") -> " + resultType +
         " {\n  ^bb0(" + blockArgs + "):\n" + body + "\n    kiln.yield %r : " + resultType +
         "\n  }\n  return %k : " + resultType + "\n}\n";
}

CodegenTest::CodegenTest() {
  DialectRegistry registry;
  registerDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
}

OwningOpRef<ModuleOp> CodegenTest::parse(const std::string &ir) {
  return parseSourceString<ModuleOp>(ir, &context);
}

std::vector<HostTensor> CodegenTest::run(const std::string &ir,
                                         const std::vector<HostTensor> &inputs,
                                         std::optional<ScheduleRecord> record, ScheduleMode mode) {
  OwningOpRef<ModuleOp> module = parse(ir);
  EXPECT_TRUE(module) << ir;
  if (!module)
    return {};
  if (record) {
    auto attr = record->toAttr(&context);
    if (!attr) {
      ADD_FAILURE() << llvm::toString(attr.takeError());
      return {};
    }
    module->walk([&](KernelOp k) { k->setAttr(kScheduleAttrName, *attr); });
  }
  // The schedules phase as kiln-run and the conformance runner run it.
  if (failed(runSchedulesPhase(*module, jitVariant(mode), mode))) {
    ADD_FAILURE() << "the schedules phase failed\n" << ir;
    return {};
  }
  auto runner = JitRunner::create(*module);
  if (!runner) {
    ADD_FAILURE() << llvm::toString(runner.takeError()) << "\n" << ir;
    return {};
  }
  lastStats = (*runner)->kernelStats();
  auto outputs = (*runner)->run(inputs);
  if (!outputs) {
    ADD_FAILURE() << llvm::toString(outputs.takeError()) << "\n" << ir;
    return {};
  }
  return *outputs;
}

void scheduleFor(ModuleOp module, llvm::StringRef target) {
  EXPECT_TRUE(succeeded(runSchedulesPhase(
      module, {"test", target.str(), /*keepAttachedRecords=*/false}, ScheduleMode::Template)))
      << target.str();
}

HostTensor randomF32(const std::vector<int64_t> &shape, unsigned seed, float lo, float hi) {
  HostTensor t = HostTensor::zeros("x", DType::F32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.as<float>()[i] = dist(rng);
  return t;
}

HostTensor randomI32(const std::vector<int64_t> &shape, unsigned seed, int lo, int hi) {
  HostTensor t = HostTensor::zeros("x", DType::I32, shape);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.as<int32_t>()[i] = dist(rng);
  return t;
}

int64_t flatIndex(const std::vector<int64_t> &shape, const std::vector<int64_t> &index) {
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + index[d];
  return flat;
}

void expectClose(const HostTensor &got, const std::vector<float> &want, float atol, float rtol) {
  ASSERT_EQ(got.dtype, DType::F32);
  ASSERT_EQ(static_cast<size_t>(got.numElements()), want.size());
  int reported = 0, bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    float g = got.as<float>()[i], w = want[i];
    bool ok = std::fabs(g - w) <= atol + rtol * std::fabs(w) || (std::isnan(g) && std::isnan(w));
    if (!ok) {
      ++bad;
      if (reported++ < 5)
        ADD_FAILURE() << "element " << i << ": got " << g << ", want " << w;
    }
  }
  EXPECT_EQ(bad, 0) << "mismatches out of " << want.size();
}

std::string tensorType(const std::vector<int64_t> &shape, const std::string &element) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element + ">";
}

Operand constantOperand(const HostTensor &t) {
  static const char *digits = "0123456789ABCDEF";
  std::string hex = "0x";
  for (uint8_t byte : t.data) {
    hex += digits[byte >> 4];
    hex += digits[byte & 15];
  }
  std::string type = tensorType(t.shape);
  return {type, "dense<\"" + hex + "\"> : " + type};
}

void expectEqual(const HostTensor &got, const HostTensor &want) {
  ASSERT_EQ(got.dtype, want.dtype);
  ASSERT_EQ(got.shape, want.shape);
  size_t bytes = dtypeBytes(got.dtype);
  int reported = 0, bad = 0;
  for (int64_t i = 0; i < want.numElements(); ++i)
    if (std::memcmp(got.data.data() + i * bytes, want.data.data() + i * bytes, bytes) != 0) {
      ++bad;
      if (reported++ < 5) {
        int64_t g = 0, w = 0;
        std::memcpy(&g, got.data.data() + i * bytes, std::min<size_t>(bytes, 8));
        std::memcpy(&w, want.data.data() + i * bytes, std::min<size_t>(bytes, 8));
        ADD_FAILURE() << "element " << i << ": got " << g << ", want " << w;
      }
    }
  EXPECT_EQ(bad, 0) << "mismatches out of " << want.numElements();
}

ScheduleRecord genericRecord(int vw) {
  ScheduleRecord r;
  r.pattern = KernelPattern::Generic;
  r.vectorWidth = vw;
  r.channelTile = vw;
  r.computeAt = "tile";
  return r;
}

} // namespace kiln::codegen::testing
