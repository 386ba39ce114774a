//===- HostPlanTest.cpp - arena planning and host bindings ----------------===//
#include "targets/host/HostPlan.h"
#include "targets/host/HostEmitter.h"
#include "targets/host/Template.h"
#include "test/unit/HostPlanFixture.h"

#include <string>

using namespace mlir;

namespace {

class HostPlanTest : public kiln::test::HostPlanFixture {
protected:
  llvm::Expected<kiln::host::HostPlan> plan(const char *ir) { return planModule(ir, "my-model"); }
  /// What kilnc passes for a model read from chain.mlir; the tests set the
  /// flags they are about by name.
  static kiln::host::HostOptions chainOptions() {
    kiln::host::HostOptions options;
    options.sourceName = "chain.mlir";
    return options;
  }
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
  // Equal kernels (one kernelKey) share one compiled function.
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

// Two transposes with one body and one structural hash but different perms:
// the perms are baked into the code (static operands), so they are two
// functions. Planning by hash once ran the first for both (ONNX DepthToSpace
// DCR and CRD of one shape in one model gave CRD's output DCR's values).
// Empty tensors (docs/BOUNDED.md): an empty input is a zero-byte input, an
// empty output needs no copy and no weight bytes, and a kernel never gets an
// empty buffer (the importers fold them; one here is refused by name).
TEST_F(HostPlanTest, EmptyTensorsAreZeroBytesAndNeverReachAKernel) {
  auto p = plan(R"mlir(
    func.func @main(%e: tensor<0x3xf32>, %x: tensor<4xf32>) -> (tensor<4xf32>, tensor<3x0xf32>, tensor<0x3xf32>) {
      %c = "tosa.const"() {value = dense<> : tensor<3x0xf32>} : () -> tensor<3x0xf32>
      %0 = kiln.kernel "n" (%x) : (tensor<4xf32>) -> tensor<4xf32> {
      ^bb0(%p: tensor<4xf32>):
        %r = tosa.negate %p : (tensor<4xf32>) -> tensor<4xf32>
        kiln.yield %r : tensor<4xf32>
      }
      return %0, %c, %e : tensor<4xf32>, tensor<3x0xf32>, tensor<0x3xf32>
    })mlir");
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  EXPECT_EQ(p->inputs[0].bytes(), 0u);
  EXPECT_EQ(p->outputs[1].bytes(), 0u);
  EXPECT_EQ(p->outputs[2].bytes(), 0u);
  EXPECT_TRUE(p->copies.empty());
  EXPECT_TRUE(p->weights.empty());
  EXPECT_EQ(p->calls.size(), 1u);

  auto bad = plan(R"mlir(
    func.func @main(%e: tensor<0x3xf32>) -> tensor<3xf32> {
      %0 = kiln.kernel "sum" (%e) : (tensor<0x3xf32>) -> tensor<3xf32> {
      ^bb0(%p: tensor<0x3xf32>):
        %r = tosa.reduce_sum %p {axis = 0 : i32} : (tensor<0x3xf32>) -> tensor<1x3xf32>
        %s = tosa.reshape %r {new_shape = array<i64: 3>} : (tensor<1x3xf32>) -> tensor<3xf32>
        kiln.yield %s : tensor<3xf32>
      }
      return %0 : tensor<3xf32>
    })mlir");
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError())
                .find("kernel 'sum' has an empty operand or result ('input0'); the host "
                      "launches no kernel on an empty buffer"),
            std::string::npos);
}

TEST_F(HostPlanTest, KernelsThatDifferInStaticOperandsAreNotShared) {
  auto p = plan(R"mlir(
    func.func @main(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<4x2x3xf32>) {
      %p0 = "tosa.const"() <{value = dense<[2, 0, 1]> : tensor<3xi32>}> : () -> tensor<3xi32>
      %p1 = "tosa.const"() <{value = dense<[2, 1, 0]> : tensor<3xi32>}> : () -> tensor<3xi32>
      %0 = kiln.kernel "t0" (%x, %p0) : (tensor<2x3x4xf32>, tensor<3xi32>) -> tensor<4x2x3xf32> attributes {hash = "same"} {
      ^bb0(%a: tensor<2x3x4xf32>, %b: tensor<3xi32>):
        %r = tosa.transpose %a, %b : (tensor<2x3x4xf32>, tensor<3xi32>) -> tensor<4x2x3xf32>
        kiln.yield %r : tensor<4x2x3xf32>
      }
      %1 = kiln.kernel "t1" (%x, %p1) : (tensor<2x3x4xf32>, tensor<3xi32>) -> tensor<4x2x3xf32> attributes {hash = "same"} {
      ^bb0(%a: tensor<2x3x4xf32>, %b: tensor<3xi32>):
        %r = tosa.transpose %a, %b : (tensor<2x3x4xf32>, tensor<3xi32>) -> tensor<4x2x3xf32>
        kiln.yield %r : tensor<4x2x3xf32>
      }
      %2 = kiln.kernel "t0_again" (%x, %p0) : (tensor<2x3x4xf32>, tensor<3xi32>) -> tensor<4x2x3xf32> attributes {hash = "same"} {
      ^bb0(%a: tensor<2x3x4xf32>, %b: tensor<3xi32>):
        %r = tosa.transpose %a, %b : (tensor<2x3x4xf32>, tensor<3xi32>) -> tensor<4x2x3xf32>
        kiln.yield %r : tensor<4x2x3xf32>
      }
      return %0, %1 : tensor<4x2x3xf32>, tensor<4x2x3xf32>
    })mlir");
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  ASSERT_EQ(p->calls.size(), 3u);
  EXPECT_EQ(p->kernels.size(), 2u);
  EXPECT_NE(p->calls[0].kernel, p->calls[1].kernel);
  EXPECT_EQ(p->calls[0].kernel, p->calls[2].kernel);
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
  std::string header = kiln::host::emitHeader(*p, chainOptions());
  EXPECT_NE(header.find("#define MY_MODEL_ARENA_SIZE 2048u"), std::string::npos) << header;
  EXPECT_NE(header.find("kiln_status my_model_run(my_model_context *context"), std::string::npos);
  EXPECT_NE(header.find("#define MY_MODEL_INPUT_X 0"), std::string::npos);
  std::string source = kiln::host::emitSource(*p, chainOptions());
  EXPECT_NE(
      source.find("int my_model_k0(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *);"),
      std::string::npos)
      << source;
}

// Every configuration fills the templates completely (targets/host/
// templates; a name without a value aborts) and leaves what all models share
// to the runtime (runtime/kiln_host.h).
TEST_F(HostPlanTest, TemplatesFillInEveryConfiguration) {
  auto p = plan(kChain);
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  auto has = [](const std::string &text, const char *what) {
    return text.find(what) != std::string::npos;
  };
  for (unsigned config = 0; config < 16; ++config) {
    kiln::host::HostOptions options = chainOptions();
    options.externalWeights = config & 1;
    options.compactCalls = config & 2;
    options.installErrorHandler = config & 4;
    bool scratch = config & 8;
    if (scratch)
      options.scratchPerThread = {4096};
    SCOPED_TRACE("configuration " + std::to_string(config));
    std::string header = kiln::host::emitHeader(*p, options);
    std::string source = kiln::host::emitSource(*p, options);
    EXPECT_FALSE(has(header, "@")) << header;
    EXPECT_FALSE(has(source, "@")) << source;
    EXPECT_EQ(has(header, "  const void *weights;\n"), options.externalWeights) << header;
    EXPECT_EQ(has(source, "extern const unsigned char my_model_weights[];"),
              !options.externalWeights);
    EXPECT_EQ(has(source, "{KILN_HOST_ARG_INPUT, 2, 32, 1, my_model_dims0, 0u},"),
              options.compactCalls)
        << source;
    EXPECT_EQ(has(source, "kiln_host_bind(&b[0], (void *)inputs[0], 2, 32, 1, my_model_dims0);"),
              !options.compactCalls);
    EXPECT_EQ(has(source, "  kiln_install_halide_hooks();\n"), options.installErrorHandler);
    EXPECT_EQ(has(source, "kiln_reserve_scratch(per_thread, 1, once, 0, options->num_threads)"),
              scratch);
    EXPECT_TRUE(has(source, "#include \"kiln_host.h\""));
    EXPECT_FALSE(has(source, "static kiln_status fail("));
  }
}

TEST(HostTemplate, FillsTextBlocksAndSections) {
  kiln::host::TemplateValues values;
  values.text = {{"name", "m"}, {"rows", "  1,\n  2,\n"}, {"none", ""}};
  values.flags = {{"on", true}, {"off", false}};
  const char *text = "@# about the template\n"
                     "int @name@_x[] = {\n@rows@\n};\n"
                     "@none@\n"
                     "@if on@\nkept;\n@if off@\nno;\n@else@\nelse;\n@endif@\n@endif@\n"
                     "@if !on@\nno;\n@endif@\n"
                     "end";
  EXPECT_EQ(kiln::host::fillTemplate(text, values),
            "int m_x[] = {\n  1,\n  2,\n};\nkept;\nelse;\nend");
}

TEST(HostTemplate, NameWithoutValueIsABug) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  kiln::host::TemplateValues values;
  EXPECT_DEATH(kiln::host::fillTemplate("x = @nope@;\n", values), "no text 'nope'");
  EXPECT_DEATH(kiln::host::fillTemplate("@if nope@\n@endif@\n", values), "no flag 'nope'");
  EXPECT_DEATH(kiln::host::fillTemplate("a@b\n", values), "stray '@'");
}

// In place (targets/host/InPlace.h). The generic template's record, as the
// schedules phase attaches it; `vw` lanes on the innermost dimension.
std::string record(const char *mode, const char *pattern, int vw) {
  std::string lanes = std::to_string(vw);
  return std::string("kiln.schedule = #kiln.schedule<version = 1, mode = ") + mode +
         ", pattern = " + pattern + ", vector_width = " + lanes + ", channel_tile = " + lanes +
         ", pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = "
         "pixel_major>";
}

std::string genericRecord(int vw) { return record("template", "generic", vw); }

// x -> a (add weight) -> b (exp) -> c (exp) -> d (add weight) -> y, with the
// records of a tail-free generic template (8 lanes over 256 elements).
std::string elementwiseChain(const std::string &record) {
  std::string attrs = record.empty() ? "" : ", " + record;
  std::string text = R"mlir(
  func.func @main(%x: tensor<256xf32>) -> tensor<256xf32> {
    %w = "tosa.const"() {value = dense<2.0> : tensor<256xf32>} : () -> tensor<256xf32>
    %0 = kiln.kernel "a" (%x, %w) : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32> attributes {hash = "h_add"ATTRS} {
    ^bb0(%p: tensor<256xf32>, %q: tensor<256xf32>):
      %r = tosa.add %p, %q : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32>
      kiln.yield %r : tensor<256xf32>
    }
    %1 = kiln.kernel "b" (%0) : (tensor<256xf32>) -> tensor<256xf32> attributes {hash = "h_exp"ATTRS} {
    ^bb0(%p: tensor<256xf32>):
      %r = tosa.exp %p : (tensor<256xf32>) -> tensor<256xf32>
      kiln.yield %r : tensor<256xf32>
    }
    %2 = kiln.kernel "c" (%1) : (tensor<256xf32>) -> tensor<256xf32> attributes {hash = "h_exp"ATTRS} {
    ^bb0(%p: tensor<256xf32>):
      %r = tosa.exp %p : (tensor<256xf32>) -> tensor<256xf32>
      kiln.yield %r : tensor<256xf32>
    }
    %3 = kiln.kernel "d" (%2, %w) : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32> attributes {hash = "h_add"ATTRS} {
    ^bb0(%p: tensor<256xf32>, %q: tensor<256xf32>):
      %r = tosa.add %p, %q : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32>
      kiln.yield %r : tensor<256xf32>
    }
    return %3 : tensor<256xf32>
  })mlir";
  for (size_t at; (at = text.find("ATTRS")) != std::string::npos;)
    text.replace(at, 5, attrs);
  return text;
}

TEST_F(HostPlanTest, ElementwiseChainRunsInPlace) {
  // Without records the vector width is the target's, unknown here: no
  // elementwise kernel is planned in place.
  auto without = plan(elementwiseChain("").c_str());
  ASSERT_TRUE(bool(without)) << llvm::toString(without.takeError());
  EXPECT_EQ(without->inPlaceCalls, 0u);
  EXPECT_EQ(without->arenaBytes, 2048u);

  auto p = plan(elementwiseChain(genericRecord(8)).c_str());
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  // b and c overwrite the buffer they read; a writes the arena, d the output.
  EXPECT_EQ(p->inPlaceCalls, 2u);
  EXPECT_EQ(p->arenaBytes, 1024u);
  const auto &a = p->calls[0].args, &b = p->calls[1].args, &c = p->calls[2].args;
  EXPECT_EQ(b[0].offset, a[2].offset);
  EXPECT_EQ(b[1].kind, kiln::host::BufferRef::Arena);
  EXPECT_EQ(b[1].offset, b[0].offset);
  EXPECT_EQ(c[1].offset, c[0].offset);
  std::string header = kiln::host::emitHeader(*p, chainOptions());
  EXPECT_NE(header.find("(2 of them written in place over a dying input)"), std::string::npos)
      << header;
  EXPECT_NE(header.find("#define MY_MODEL_ARENA_SIZE 1024u"), std::string::npos);
}

// A 1x1 conv whose input dies at the call and has the output's size: still
// never in place (every output reads a whole pixel of inputs), even under a
// record that looks generic.
TEST_F(HostPlanTest, ConvIsNeverInPlace) {
  std::string ir = R"mlir(
  func.func @main(%x: tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> {
    %w = "tosa.const"() {value = dense<0.5> : tensor<8x1x1x8xf32>} : () -> tensor<8x1x1x8xf32>
    %b = "tosa.const"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
    %0 = kiln.kernel "neg" (%x) : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> attributes {RECORD} {
    ^bb0(%p: tensor<1x4x4x8xf32>):
      %r = tosa.negate %p : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
      kiln.yield %r : tensor<1x4x4x8xf32>
    }
    %1 = kiln.kernel "conv" (%0, %w, %b) : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> attributes {RECORD} {
    ^bb0(%p: tensor<1x4x4x8xf32>, %q: tensor<8x1x1x8xf32>, %c: tensor<8xf32>):
      %r = tosa.conv2d %p, %q, %c {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32>
      %s = tosa.clamp %r {max_fp = 6.0 : f32, max_int = 6 : i64, min_fp = 0.0 : f32, min_int = 0 : i64} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
      kiln.yield %s : tensor<1x4x4x8xf32>
    }
    %2 = kiln.kernel "transpose_add" (%1) : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> attributes {RECORD} {
    ^bb0(%p: tensor<1x4x4x8xf32>):
      %perms = "tosa.const"() {value = dense<[0, 2, 1, 3]> : tensor<4xi32>} : () -> tensor<4xi32>
      %t = tosa.transpose %p, %perms : (tensor<1x4x4x8xf32>, tensor<4xi32>) -> tensor<1x4x4x8xf32>
      %r = tosa.add %p, %t : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
      kiln.yield %r : tensor<1x4x4x8xf32>
    }
    %3 = kiln.kernel "neg2" (%2) : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> attributes {RECORD} {
    ^bb0(%p: tensor<1x4x4x8xf32>):
      %r = tosa.negate %p : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
      kiln.yield %r : tensor<1x4x4x8xf32>
    }
    return %3 : tensor<1x4x4x8xf32>
  })mlir";
  for (size_t at; (at = ir.find("RECORD")) != std::string::npos;)
    ir.replace(at, 6, genericRecord(8));
  auto p = plan(ir.c_str());
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  // The conv and the transpose-then-add get their own buffers; neg reads the
  // model input and neg2 writes the output.
  EXPECT_EQ(p->inPlaceCalls, 0u);
  const auto &neg = p->calls[0].args, &conv = p->calls[1].args, &mix = p->calls[2].args;
  EXPECT_NE(conv[3].offset, conv[0].offset);
  EXPECT_NE(mix[1].offset, mix[0].offset);
  EXPECT_EQ(mix[0].offset, conv[3].offset);
  EXPECT_EQ(neg[1].offset, mix[1].offset); // liveness reuse still works
  EXPECT_EQ(p->arenaBytes, 1024u);
}

// %0 is read again after exp: exp must not overwrite it. The final add reads
// two buffers that both die there, and may take either.
TEST_F(HostPlanTest, InputReadLaterIsNotOverwritten) {
  std::string ir = R"mlir(
  func.func @main(%x: tensor<64xf32>) -> tensor<64xf32> {
    %0 = kiln.kernel "neg" (%x) : (tensor<64xf32>) -> tensor<64xf32> attributes {RECORD} {
    ^bb0(%p: tensor<64xf32>):
      %r = tosa.negate %p : (tensor<64xf32>) -> tensor<64xf32>
      kiln.yield %r : tensor<64xf32>
    }
    %1 = kiln.kernel "exp" (%0) : (tensor<64xf32>) -> tensor<64xf32> attributes {RECORD} {
    ^bb0(%p: tensor<64xf32>):
      %r = tosa.exp %p : (tensor<64xf32>) -> tensor<64xf32>
      kiln.yield %r : tensor<64xf32>
    }
    %2 = kiln.kernel "add" (%1, %0) : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32> attributes {RECORD} {
    ^bb0(%p: tensor<64xf32>, %q: tensor<64xf32>):
      %r = tosa.add %p, %q : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
      kiln.yield %r : tensor<64xf32>
    }
    %3 = kiln.kernel "exp2" (%2) : (tensor<64xf32>) -> tensor<64xf32> attributes {RECORD} {
    ^bb0(%p: tensor<64xf32>):
      %r = tosa.exp %p : (tensor<64xf32>) -> tensor<64xf32>
      kiln.yield %r : tensor<64xf32>
    }
    return %3 : tensor<64xf32>
  })mlir";
  for (size_t at; (at = ir.find("RECORD")) != std::string::npos;)
    ir.replace(at, 6, genericRecord(16));
  auto p = plan(ir.c_str());
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  const auto &neg = p->calls[0].args, &exp = p->calls[1].args, &add = p->calls[2].args;
  EXPECT_NE(exp[1].offset, neg[1].offset);
  EXPECT_EQ(add[2].offset, add[0].offset); // the first dying operand
  EXPECT_EQ(p->inPlaceCalls, 1u);
  EXPECT_EQ(p->arenaBytes, 512u);
}

// out[i] = in[i] + 1 under a shifted tail would recompute the last vector
// from elements already overwritten: 20 elements at 8 lanes is refused, at 4
// lanes (divides) or 32 lanes (scalar: wider than the tensor) accepted.
TEST_F(HostPlanTest, ShiftedVectorTailIsNotInPlace) {
  auto planAt = [&](int vw) {
    std::string ir = R"mlir(
    func.func @main(%x: tensor<2x20xf32>) -> tensor<2x20xf32> {
      %one = "tosa.const"() {value = dense<1.0> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
      %0 = kiln.kernel "neg" (%x) : (tensor<2x20xf32>) -> tensor<2x20xf32> attributes {RECORD} {
      ^bb0(%p: tensor<2x20xf32>):
        %r = tosa.negate %p : (tensor<2x20xf32>) -> tensor<2x20xf32>
        kiln.yield %r : tensor<2x20xf32>
      }
      %1 = kiln.kernel "inc" (%0, %one) : (tensor<2x20xf32>, tensor<1x1xf32>) -> tensor<2x20xf32> attributes {RECORD} {
      ^bb0(%p: tensor<2x20xf32>, %q: tensor<1x1xf32>):
        %r = tosa.add %p, %q : (tensor<2x20xf32>, tensor<1x1xf32>) -> tensor<2x20xf32>
        kiln.yield %r : tensor<2x20xf32>
      }
      %2 = kiln.kernel "neg2" (%1) : (tensor<2x20xf32>) -> tensor<2x20xf32> attributes {RECORD} {
      ^bb0(%p: tensor<2x20xf32>):
        %r = tosa.negate %p : (tensor<2x20xf32>) -> tensor<2x20xf32>
        kiln.yield %r : tensor<2x20xf32>
      }
      return %2 : tensor<2x20xf32>
    })mlir";
    for (size_t at; (at = ir.find("RECORD")) != std::string::npos;)
      ir.replace(at, 6, genericRecord(vw));
    return plan(ir.c_str());
  };
  for (auto [vw, inPlace] : {std::pair{8, false}, {4, true}, {32, true}}) {
    auto p = planAt(vw);
    ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
    EXPECT_EQ(p->inPlaceCalls, inPlace ? 1u : 0u) << "vector width " << vw;
    EXPECT_EQ(p->arenaBytes, inPlace ? 192u : 384u) << "vector width " << vw;
  }
}

// A reshape keeps the element order, so it aliases under any schedule, even
// an autoscheduled one; an elementwise kernel under an autoscheduler does
// not (its splits are the autoscheduler's). A kernel with two results never.
TEST_F(HostPlanTest, SameOrderCopiesAliasUnderAnySchedule) {
  std::string ir = std::string(R"mlir(
    func.func @main(%x: tensor<4x8xf32>) -> (tensor<32xf32>, tensor<32xf32>) {
      %0 = kiln.kernel "neg" (%x) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
      ^bb0(%p: tensor<4x8xf32>):
        %r = tosa.negate %p : (tensor<4x8xf32>) -> tensor<4x8xf32>
        kiln.yield %r : tensor<4x8xf32>
      }
      %1 = kiln.kernel "flat" (%0) : (tensor<4x8xf32>) -> tensor<32xf32> attributes {)mlir") +
                   record("adams2019", "generic", 4) + std::string(R"mlir(} {
      ^bb0(%p: tensor<4x8xf32>):
        %r = tosa.reshape %p {new_shape = array<i64: 32>} : (tensor<4x8xf32>) -> tensor<32xf32>
        kiln.yield %r : tensor<32xf32>
      }
      %2 = kiln.kernel "exp" (%1) : (tensor<32xf32>) -> tensor<32xf32> attributes {)mlir") +
                   record("adams2019", "generic", 4) + std::string(R"mlir(} {
      ^bb0(%p: tensor<32xf32>):
        %r = tosa.exp %p : (tensor<32xf32>) -> tensor<32xf32>
        kiln.yield %r : tensor<32xf32>
      }
      %3:2 = kiln.kernel "two" (%2) : (tensor<32xf32>) -> (tensor<32xf32>, tensor<32xf32>) attributes {)mlir") +
                   record("template", "generic", 1) + std::string(R"mlir(} {
      ^bb0(%p: tensor<32xf32>):
        %r = tosa.exp %p : (tensor<32xf32>) -> tensor<32xf32>
        %s = tosa.negate %p : (tensor<32xf32>) -> tensor<32xf32>
        kiln.yield %r, %s : tensor<32xf32>, tensor<32xf32>
      }
      %4 = kiln.kernel "neg2" (%3#0) : (tensor<32xf32>) -> tensor<32xf32> {
      ^bb0(%p: tensor<32xf32>):
        %r = tosa.negate %p : (tensor<32xf32>) -> tensor<32xf32>
        kiln.yield %r : tensor<32xf32>
      }
      return %4, %3#1 : tensor<32xf32>, tensor<32xf32>
    })mlir");
  auto p = plan(ir.c_str());
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  EXPECT_EQ(p->inPlaceCalls, 1u);
  const auto &neg = p->calls[0].args, &flat = p->calls[1].args, &exp = p->calls[2].args,
             &two = p->calls[3].args;
  EXPECT_EQ(flat[1].offset, neg[1].offset);
  EXPECT_NE(exp[1].offset, exp[0].offset);
  EXPECT_NE(two[1].offset, two[0].offset);
  EXPECT_EQ(two[2].kind, kiln::host::BufferRef::Output);
}

} // namespace
