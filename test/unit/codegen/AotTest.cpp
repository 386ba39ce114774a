//===- AotTest.cpp - kernels compiled ahead of time, linked and called ----===//
//
// The AOT path the targets use: compileKernelObject writes an object with no
// runtime, compileRuntimeObject the runtime; linked into a shared object
// with clang and loaded, the kernel is called through the ABI in
// docs/CONVENTIONS.md (halide_buffer_t per input, then per output) and must
// agree with the JIT path bit for bit (same pipeline, same schedule).
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "codegen/halide/Compile.h"
#include "dialects/kiln/KilnOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include "HalideRuntime.h"

#include <dlfcn.h>

using namespace kiln::codegen;
using namespace kiln::jit;
using kiln::DType;
using namespace kiln::codegen::testing;

namespace {

// Halide's default error handler prints and aborts; a host installs its own
// (the runtime's halide_set_error_handler) to turn errors into status codes.
std::string lastHalideError;
void recordError(void *, const char *message) { lastHalideError = message; }

class AotTest : public CodegenTest {
protected:
  void SetUp() override { ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("kiln-aot", dir)); }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
  kiln::KernelOp firstKernel(mlir::ModuleOp module) {
    kiln::KernelOp kernel;
    module.walk([&](kiln::KernelOp k) { kernel = k; });
    return kernel;
  }
  llvm::SmallString<128> dir;
};

const char *kConvBody =
    "    %0 = tosa.conv2d %b0, %b1, %b2 {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, "
    "dilation = array<i64: 1, 1>} : (tensor<1x6x6x8xf32>, tensor<24x3x3x8xf32>, "
    "tensor<24xf32>) -> tensor<1x6x6x24xf32>\n"
    "    %r = tosa.clamp %0 {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = "
    "6 : i64} : (tensor<1x6x6x24xf32>) -> tensor<1x6x6x24xf32>";

// A dense halide_buffer_t over a HostTensor (dims reversed).
struct RawBuffer {
  explicit RawBuffer(HostTensor &t) {
    int64_t stride = 1;
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) {
      dims.push_back({0, static_cast<int32_t>(*it), static_cast<int32_t>(stride), 0});
      stride *= *it;
    }
    buf.host = t.data.data();
    buf.type = halide_type_t(halide_type_float, 32, 1);
    buf.dimensions = dims.size();
    buf.dim = dims.data();
  }
  halide_buffer_t buf = {};
  std::vector<halide_dimension_t> dims;
};

TEST_F(AotTest, ObjectLinksAndMatchesTheJit) {
  std::string ir =
      kernelModel({{"tensor<1x6x6x8xf32>"}, {"tensor<24x3x3x8xf32>"}, {"tensor<24xf32>"}},
                  kConvBody, "tensor<1x6x6x24xf32>");
  auto module = parse(ir);
  ASSERT_TRUE(module);
  scheduleFor(*module);
  CompileOptions options;
  options.headerPath = path("k.h");
  auto info =
      compileKernelObject(firstKernel(*module), "kiln_test_conv", "host", path("k.o"), options);
  ASSERT_TRUE(static_cast<bool>(info)) << llvm::toString(info.takeError());
  EXPECT_EQ(info->schedule.pattern, KernelPattern::Conv);
  EXPECT_FALSE(info->heapAllocates) << "the conv template keeps its accumulators on the stack";
  EXPECT_GT(info->seconds, 0);
  ASSERT_FALSE(static_cast<bool>(compileRuntimeObject("host", path("runtime.o"))));
  EXPECT_TRUE(llvm::sys::fs::exists(path("k.h")));

  auto clang = llvm::sys::findProgramByName("clang-19");
  ASSERT_TRUE(static_cast<bool>(clang)) << "clang-19 not found";
  std::string so = path("k.so"), object = path("k.o"), runtime = path("runtime.o");
  llvm::SmallVector<llvm::StringRef> args = {*clang,  "-shared",   "-o",   so,   object,
                                             runtime, "-lpthread", "-ldl", "-lm"};
  std::string linkError;
  ASSERT_EQ(llvm::sys::ExecuteAndWait(*clang, args, std::nullopt, {}, 0, 0, &linkError), 0)
      << linkError;
  void *lib = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  using KernelFn =
      int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, halide_buffer_t *);
  auto fn = reinterpret_cast<KernelFn>(dlsym(lib, "kiln_test_conv"));
  ASSERT_NE(fn, nullptr);
  using SetHandlerFn = halide_error_handler_t (*)(halide_error_handler_t);
  auto setHandler = reinterpret_cast<SetHandlerFn>(dlsym(lib, "halide_set_error_handler"));
  ASSERT_NE(setHandler, nullptr);
  setHandler(recordError);

  HostTensor in = randomF32({1, 6, 6, 8}, 71, -2, 2), w = randomF32({24, 3, 3, 8}, 72),
             b = randomF32({24}, 73);
  HostTensor out = HostTensor::zeros("out", DType::F32, {1, 6, 6, 24});
  RawBuffer rin(in), rw(w), rb(b), rout(out);
  EXPECT_EQ(fn(&rin.buf, &rw.buf, &rb.buf, &rout.buf), 0);
  // A wrong shape is an error code, not a crash.
  RawBuffer small(b);
  EXPECT_NE(fn(&rin.buf, &rw.buf, &small.buf, &small.buf), 0);
  EXPECT_NE(lastHalideError.find("requires a buffer of exactly 4 dimensions"), std::string::npos)
      << lastHalideError;
  dlclose(lib);

  auto jit = run(ir, {in, w, b});
  ASSERT_EQ(jit.size(), 1u);
  expectClose(out, std::vector<float>(jit[0].as<float>(), jit[0].as<float>() + out.numElements()),
              0, 0);
}

TEST_F(AotTest, CrossCompilesForEveryTarget) {
  std::string ir =
      kernelModel({{"tensor<1x6x6x8xf32>"}, {"tensor<24x3x3x8xf32>"}, {"tensor<24xf32>"}},
                  kConvBody, "tensor<1x6x6x24xf32>");
  auto module = parse(ir);
  ASSERT_TRUE(module);
  for (const char *target :
       {"x86-64-linux-avx2-fma-f16c-sse41", "x86-64-linux-avx512_skylake-avx2-fma",
        "x86-64-linux-sse41", "wasm-32-wasmrt-wasm_simd128", "wasm-32-wasmrt"}) {
    SCOPED_TRACE(target);
    scheduleFor(*module, target);
    auto info = compileKernelObject(firstKernel(*module), "k", target, path("k.o"));
    ASSERT_TRUE(static_cast<bool>(info)) << llvm::toString(info.takeError());
    EXPECT_FALSE(info->heapAllocates);
    uint64_t size = 0;
    EXPECT_FALSE(llvm::sys::fs::file_size(path("k.o"), size));
    EXPECT_GT(size, 0u);
  }
  auto bad = compileKernelObject(firstKernel(*module), "k", "x86-64-nonsense", path("k.o"));
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("invalid Halide target"), std::string::npos);
}

TEST_F(AotTest, ReportsKernelsThatAllocate) {
  // Two outputs sharing one conv: the conv cannot live inside either
  // output's loops, so it is computed whole first, on the heap.
  std::string t = "tensor<1x32x32x32xf32>";
  std::string ir =
      "func.func @main(%x: " + t + ", %w: tensor<32x1x1x32xf32>, %b: tensor<32xf32>) -> (" + t +
      ", " + t + ") {\n  %k:2 = kiln.kernel \"two\" (%x, %w, %b) : (" + t +
      ", tensor<32x1x1x32xf32>, tensor<32xf32>) -> (" + t + ", " + t + ") {\n" + "  ^bb0(%a: " + t +
      ", %c: tensor<32x1x1x32xf32>, %d: tensor<32xf32>):\n" +
      "    %0 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, "
      "dilation = array<i64: 1, 1>} : (" +
      t + ", tensor<32x1x1x32xf32>, tensor<32xf32>) -> " + t + "\n    %1 = tosa.exp %0 : (" + t +
      ") -> " + t + "\n    %2 = tosa.tanh %0 : (" + t + ") -> " + t +
      "\n    kiln.yield %1, %2 : " + t + ", " + t + "\n  }\n  return %k#0, %k#1 : " + t + ", " + t +
      "\n}\n";
  auto module = parse(ir);
  ASSERT_TRUE(module);
  scheduleFor(*module);
  auto info = compileKernelObject(firstKernel(*module), "two", "host", path("two.o"));
  ASSERT_TRUE(static_cast<bool>(info)) << llvm::toString(info.takeError());
  EXPECT_TRUE(info->heapAllocates);
}

} // namespace
