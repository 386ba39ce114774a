//===- HostPlanTest.cpp - arena planning and host bindings ----------------===//
#include "targets/host/HostPlan.h"
#include "compiler/pipeline/Pipeline.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "targets/host/HostEmitter.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class HostPlanTest : public ::testing::Test {
protected:
  HostPlanTest() {
    DialectRegistry registry;
    kiln::registerDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }
  llvm::Expected<kiln::host::HostPlan> plan(const char *ir) {
    module = parseSourceString<ModuleOp>(ir, &context);
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "parse failed");
    return kiln::host::planHost(module->lookupSymbol<func::FuncOp>("main"), "my-model");
  }
  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

// Four elementwise steps in a chain: t0 -> t1 -> t2 -> out. t0 and t2 never
// live at the same time, so the arena holds two buffers, not three.
const char *kChain = R"mlir(
  func.func @main(%x: tensor<256xf32> {kiln.name = "x"}) -> (tensor<256xf32> {kiln.name = "y"}) {
    %w = "tosa.const"() {value = dense<2.0> : tensor<256xf32>} : () -> tensor<256xf32>
    %0 = kiln.kernel "a" (%x, %w) : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32> attributes {hash = "h_add"} {
    ^bb0(%p: tensor<256xf32>, %q: tensor<256xf32>):
      %r = tosa.add %p, %q : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32>
      kiln.yield %r : tensor<256xf32>
    }
    %1 = kiln.kernel "b" (%0) : (tensor<256xf32>) -> tensor<256xf32> attributes {hash = "h_exp"} {
    ^bb0(%p: tensor<256xf32>):
      %r = tosa.exp %p : (tensor<256xf32>) -> tensor<256xf32>
      kiln.yield %r : tensor<256xf32>
    }
    %2 = kiln.kernel "c" (%1) : (tensor<256xf32>) -> tensor<256xf32> attributes {hash = "h_exp"} {
    ^bb0(%p: tensor<256xf32>):
      %r = tosa.exp %p : (tensor<256xf32>) -> tensor<256xf32>
      kiln.yield %r : tensor<256xf32>
    }
    %3 = kiln.kernel "d" (%2, %w) : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32> attributes {hash = "h_add"} {
    ^bb0(%p: tensor<256xf32>, %q: tensor<256xf32>):
      %r = tosa.add %p, %q : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32>
      kiln.yield %r : tensor<256xf32>
    }
    return %3 : tensor<256xf32>
  })mlir";

TEST_F(HostPlanTest, ReusesArenaAcrossDisjointLifetimes) {
  auto p = plan(kChain);
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  EXPECT_EQ(p->modelName, "my_model");
  ASSERT_EQ(p->calls.size(), 4u);
  // Equal hashes share one compiled function.
  EXPECT_EQ(p->kernels.size(), 2u);
  EXPECT_EQ(p->calls[0].kernel, p->calls[3].kernel);
  EXPECT_EQ(p->calls[1].kernel, p->calls[2].kernel);
  // Two 1 KiB intermediates alive at once at most.
  EXPECT_EQ(p->arenaBytes, 2048u);
  const auto &a = p->calls[0].args, &b = p->calls[1].args, &c = p->calls[2].args;
  EXPECT_EQ(a[2].kind, kiln::host::BufferRef::Arena);
  EXPECT_EQ(b[0].offset, a[2].offset); // b reads what a wrote
  EXPECT_NE(b[1].offset, b[0].offset); // b's output overlaps nothing live
  EXPECT_EQ(c[0].offset, b[1].offset);
  EXPECT_NE(c[1].offset, c[0].offset);
  // The last kernel writes straight into the caller's output; the weight is
  // stored once and shared.
  EXPECT_EQ(p->calls[3].args[2].kind, kiln::host::BufferRef::Output);
  EXPECT_EQ(p->calls[3].args[1].kind, kiln::host::BufferRef::Weight);
  EXPECT_EQ(p->weights.size(), 1024u);
  EXPECT_EQ(p->inputs[0].name, "x");
  EXPECT_EQ(p->outputs[0].name, "y");
  EXPECT_TRUE(p->copies.empty());
}

TEST_F(HostPlanTest, OutputsThatNoKernelWritesAreCopied) {
  auto p = plan(R"mlir(
    func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<2xi32>) {
      %c = "tosa.const"() {value = dense<[1, 2]> : tensor<2xi32>} : () -> tensor<2xi32>
      %0 = kiln.kernel "n" (%x) : (tensor<4xf32>) -> tensor<4xf32> {
      ^bb0(%p: tensor<4xf32>):
        %r = tosa.negate %p : (tensor<4xf32>) -> tensor<4xf32>
        kiln.yield %r : tensor<4xf32>
      }
      return %0, %x, %c : tensor<4xf32>, tensor<4xf32>, tensor<2xi32>
    })mlir");
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  ASSERT_EQ(p->copies.size(), 2u);
  EXPECT_EQ(p->copies[0].source.kind, kiln::host::BufferRef::Input);
  EXPECT_EQ(p->copies[1].source.kind, kiln::host::BufferRef::Weight);
  EXPECT_EQ(p->outputs[2].bytes(), 8u);
  std::vector<uint8_t> expected = {1, 0, 0, 0, 2, 0, 0, 0};
  EXPECT_EQ(std::vector<uint8_t>(p->weights.begin(), p->weights.begin() + 8), expected);
  EXPECT_EQ(p->arenaBytes, 0u);
}

TEST_F(HostPlanTest, RejectsOpsOutsideKernels) {
  auto p = plan(R"mlir(
    func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
      %0 = tosa.negate %x : (tensor<4xf32>) -> tensor<4xf32>
      return %0 : tensor<4xf32>
    })mlir");
  ASSERT_FALSE(bool(p));
  EXPECT_EQ(llvm::toString(p.takeError()),
            "op 'tosa.negate' is outside any kiln.kernel; the host only runs kernels");
}

TEST_F(HostPlanTest, HeaderNamesEverythingWithTheModelPrefix) {
  auto p = plan(kChain);
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  std::string header = kiln::host::emitHeader(*p, {"chain.mlir", false});
  EXPECT_NE(header.find("#define MY_MODEL_ARENA_SIZE 2048u"), std::string::npos) << header;
  EXPECT_NE(header.find("kiln_status my_model_run(my_model_context *context"), std::string::npos);
  EXPECT_NE(header.find("#define MY_MODEL_INPUT_X 0"), std::string::npos);
  std::string source = kiln::host::emitSource(*p, {"chain.mlir", false});
  EXPECT_NE(
      source.find("int my_model_k0(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *);"),
      std::string::npos)
      << source;
}

} // namespace
