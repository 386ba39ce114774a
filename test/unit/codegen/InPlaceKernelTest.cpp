//===- InPlaceKernelTest.cpp - kernels run with input == output -----------===//
//
// The arena planner lets an elementwise kernel write over the input it
// reads (targets/host/InPlace.h) only when the generic template leaves no
// shifted vector tail. This runs the compiled object the way the host does
// in place, one buffer bound as input and output, and checks both halves of
// that rule against a plain loop: out = in + 1 is exact when the planner
// says yes, and would really be wrong where it says no.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "codegen/halide/Compile.h"
#include "targets/host/InPlace.h"
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

// A dense f32 halide_buffer_t over `data` (dims reversed).
struct RawBuffer {
  RawBuffer(float *data, const std::vector<int64_t> &shape) {
    int32_t stride = 1;
    for (auto it = shape.rbegin(); it != shape.rend(); ++it) {
      dims.push_back({0, static_cast<int32_t>(*it), stride, 0});
      stride *= static_cast<int32_t>(*it);
    }
    buf.host = reinterpret_cast<uint8_t *>(data);
    buf.type = halide_type_t(halide_type_float, 32, 1);
    buf.dimensions = dims.size();
    buf.dim = dims.data();
  }
  halide_buffer_t buf = {};
  std::vector<halide_dimension_t> dims;
};

struct InPlaceRun {
  kiln::host::InPlaceKind verdict;
  int mismatches; ///< elements of the in-place run that differ from in + 1
};

class InPlaceKernelTest : public CodegenTest {
protected:
  void SetUp() override { ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("kiln-inplace", dir)); }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
  // Compiles out = in + one (one broadcast from 1x1) with the generic template
  // at 8 lanes for a [3, columns] tensor, then runs it over one buffer.
  InPlaceRun runInPlace(int64_t columns) {
    std::string type = tensorType({3, columns});
    std::string ir = kernelModel(
        {{type}, {"tensor<1x1xf32>"}},
        "    %r = tosa.add %b0, %b1 : (" + type + ", tensor<1x1xf32>) -> " + type, type);
    auto module = parse(ir);
    EXPECT_TRUE(module);
    kiln::KernelOp kernel;
    module->walk([&](kiln::KernelOp k) { kernel = k; });
    ScheduleRecord record;
    record.vectorWidth = 8;
    record.channelTile = 8;
    kernel->setAttr(kScheduleAttrName, *record.toAttr(&context));
    InPlaceRun result{kiln::host::inPlaceKind(kernel, {0}), -1};

    std::string object = path("k.o"), runtime = path("rt.o"), so = path("k.so");
    auto info = compileKernelObject(kernel, "kiln_inplace", "host", object);
    EXPECT_TRUE(static_cast<bool>(info)) << llvm::toString(info.takeError());
    EXPECT_FALSE(static_cast<bool>(compileRuntimeObject("host", runtime)));
    auto clang = llvm::sys::findProgramByName("clang-19");
    EXPECT_TRUE(static_cast<bool>(clang));
    llvm::SmallVector<llvm::StringRef> args = {*clang,  "-shared",   "-o",   so,   object,
                                               runtime, "-lpthread", "-ldl", "-lm"};
    std::string linkError;
    EXPECT_EQ(llvm::sys::ExecuteAndWait(*clang, args, std::nullopt, {}, 0, 0, &linkError), 0)
        << linkError;
    void *lib = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    EXPECT_NE(lib, nullptr) << dlerror();
    if (!lib)
      return result;
    using KernelFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *);
    auto fn = reinterpret_cast<KernelFn>(dlsym(lib, "kiln_inplace"));
    EXPECT_NE(fn, nullptr);

    HostTensor in = randomF32({3, columns}, 5);
    std::vector<float> data(in.as<float>(), in.as<float>() + in.numElements());
    std::vector<float> expected = data;
    for (float &x : expected)
      x += 1.0f;
    float one = 1.0f;
    RawBuffer shared(data.data(), {3, columns}), oneBuf(&one, {1, 1});
    EXPECT_EQ(fn(&shared.buf, &oneBuf.buf, &shared.buf), 0);
    dlclose(lib);
    result.mismatches = 0;
    for (size_t i = 0; i < data.size(); ++i)
      result.mismatches += data[i] != expected[i];
    return result;
  }
  llvm::SmallString<128> dir;
};

TEST_F(InPlaceKernelTest, TailFreeElementwiseIsExactInPlace) {
  // 16 columns, 8 lanes: two whole vectors per row.
  InPlaceRun r = runInPlace(16);
  EXPECT_EQ(r.verdict, kiln::host::InPlaceKind::Elementwise);
  EXPECT_EQ(r.mismatches, 0);
}

TEST_F(InPlaceKernelTest, ShiftedTailWouldBeWrongAndIsRefused) {
  // 20 columns, 8 lanes: the last vector of each row shifts back to columns
  // 12-19 and adds 1 again to columns 12-15, already written. If Halide ever
  // stops recomputing there, this test fails and the rule may be relaxed.
  InPlaceRun r = runInPlace(20);
  EXPECT_EQ(r.verdict, kiln::host::InPlaceKind::None);
  EXPECT_EQ(r.mismatches, 3 * 4);
}

} // namespace
