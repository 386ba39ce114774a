//===- HostControlTest.cpp - kiln.if and kiln.loop in the host plan -------===//
//
// docs/CONTROL_FLOW.md: the plan's steps for a run-time If and Loop, and
// the C the emitter prints for them (each branch calls only its own
// kernels; the loop copies its carried values back, through temporaries
// when the body swaps them).
//
//===----------------------------------------------------------------------===//
#include "targets/host/HostEmitter.h"
#include "test/unit/HostPlanFixture.h"

#include <string>

using namespace mlir;
using kiln::host::BufferRef;
using kiln::host::HostStep;

namespace {

class HostControlTest : public kiln::test::HostPlanFixture {
protected:
  llvm::Expected<kiln::host::HostPlan> plan(const char *ir) { return planModule(ir, "m"); }
  static std::vector<HostStep::Kind> kinds(const kiln::host::HostPlan &p) {
    std::vector<HostStep::Kind> out;
    for (const HostStep &s : p.steps)
      out.push_back(s.kind);
    return out;
  }
};

// exp in one branch, negate in the other, each a kernel of its own.
const char *kIf = R"mlir(
  func.func @main(%c: tensor<1xi1> {kiln.name = "c"}, %x: tensor<64xf32> {kiln.name = "x"})
      -> (tensor<64xf32> {kiln.name = "y"}) {
    %y = kiln.if %c : tensor<1xi1> then @t(%x : tensor<64xf32>) else @e(%x : tensor<64xf32>)
        -> tensor<64xf32>
    return %y : tensor<64xf32>
  }
  func.func private @t(%a: tensor<64xf32>) -> tensor<64xf32> {
    %0 = kiln.kernel "then_exp" (%a) : (tensor<64xf32>) -> tensor<64xf32> attributes {hash = "h_exp"} {
    ^bb0(%p: tensor<64xf32>):
      %r = tosa.exp %p : (tensor<64xf32>) -> tensor<64xf32>
      kiln.yield %r : tensor<64xf32>
    }
    return %0 : tensor<64xf32>
  }
  func.func private @e(%a: tensor<64xf32>) -> tensor<64xf32> {
    %0 = kiln.kernel "else_neg" (%a) : (tensor<64xf32>) -> tensor<64xf32> attributes {hash = "h_neg"} {
    ^bb0(%p: tensor<64xf32>):
      %r = tosa.negate %p : (tensor<64xf32>) -> tensor<64xf32>
      kiln.yield %r : tensor<64xf32>
    }
    return %0 : tensor<64xf32>
  })mlir";

TEST_F(HostControlTest, IfRunsOneBranchWritingTheOutputDirectly) {
  auto p = plan(kIf);
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  EXPECT_TRUE(p->hasControlFlow());
  EXPECT_EQ(kinds(*p), (std::vector<HostStep::Kind>{HostStep::If, HostStep::Call, HostStep::Else,
                                                    HostStep::Call, HostStep::EndIf}));
  EXPECT_EQ(p->steps[0].source.kind, BufferRef::Input);
  EXPECT_EQ(p->steps[0].match, 2u);
  EXPECT_EQ(p->steps[2].match, 4u);
  // Both branches' kernels write the model's output: no copy, no arena.
  for (const auto &call : p->calls) {
    EXPECT_EQ(call.args[0].kind, BufferRef::Input);
    EXPECT_EQ(call.args[1].kind, BufferRef::Output);
  }
  EXPECT_TRUE(p->copies.empty());
  EXPECT_EQ(p->arenaBytes, 0u);

  // The C: the condition's byte chooses; each side calls only its kernel.
  kiln::host::HostOptions options;
  options.compactCalls = true; // ignored: the plan has control flow
  std::string c = kiln::host::emitSource(*p, options);
  size_t ifAt = c.find("if (*(const uint8_t *)((void *)inputs[0])) { /* if ");
  size_t elseAt = c.find("} else {", ifAt);
  ASSERT_NE(ifAt, std::string::npos) << c;
  ASSERT_NE(elseAt, std::string::npos) << c;
  size_t endAt = c.find("\n  }\n", elseAt);
  ASSERT_NE(endAt, std::string::npos) << c;
  std::string thenSide = c.substr(ifAt, elseAt - ifAt), elseSide = c.substr(elseAt, endAt - elseAt);
  std::string k0 = p->functionName(p->calls[0].kernel) + "(",
              k1 = p->functionName(p->calls[1].kernel) + "(";
  EXPECT_NE(thenSide.find(k0), std::string::npos) << thenSide;
  EXPECT_EQ(thenSide.find(k1), std::string::npos) << thenSide;
  EXPECT_NE(elseSide.find(k1), std::string::npos) << elseSide;
  EXPECT_EQ(elseSide.find(k0), std::string::npos) << elseSide;
  EXPECT_EQ(c.find("_calls[]"), std::string::npos) << "compact tables for a plan with an if";
}

// x = tanh(x + w) n times, w computed before the loop (an arena buffer the
// body captures), plus a pair of carried values the body swaps.
const char *kLoop = R"mlir(
  func.func @main(%n: tensor<i64> {kiln.name = "n"}, %x: tensor<64xf32> {kiln.name = "x"},
                  %a: tensor<8xf32> {kiln.name = "a"}, %b: tensor<8xf32> {kiln.name = "b"})
      -> (tensor<64xf32> {kiln.name = "y"}, tensor<8xf32> {kiln.name = "a2"},
          tensor<8xf32> {kiln.name = "b2"}) {
    %w = kiln.kernel "w_exp" (%x) : (tensor<64xf32>) -> tensor<64xf32> attributes {hash = "h_exp"} {
    ^bb0(%p: tensor<64xf32>):
      %r = tosa.exp %p : (tensor<64xf32>) -> tensor<64xf32>
      kiln.yield %r : tensor<64xf32>
    }
    %r:3 = kiln.loop @body trip(%n : tensor<i64>)
        carried(%x, %a, %b : tensor<64xf32>, tensor<8xf32>, tensor<8xf32>)
        captures(%w : tensor<64xf32>) -> tensor<64xf32>, tensor<8xf32>, tensor<8xf32>
    return %r#0, %r#1, %r#2 : tensor<64xf32>, tensor<8xf32>, tensor<8xf32>
  }
  func.func private @body(%i: tensor<i64>, %go: tensor<i1>, %v: tensor<64xf32>, %p: tensor<8xf32>,
                          %q: tensor<8xf32>, %w: tensor<64xf32>)
      -> (tensor<i1>, tensor<64xf32>, tensor<8xf32>, tensor<8xf32>) {
    %0 = kiln.kernel "add_tanh" (%v, %w) : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32> attributes {hash = "h_at"} {
    ^bb0(%s: tensor<64xf32>, %t: tensor<64xf32>):
      %u = tosa.add %s, %t : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
      %r = tosa.tanh %u : (tensor<64xf32>) -> tensor<64xf32>
      kiln.yield %r : tensor<64xf32>
    }
    return %go, %0, %q, %p : tensor<i1>, tensor<64xf32>, tensor<8xf32>, tensor<8xf32>
  })mlir";

TEST_F(HostControlTest, LoopCopiesCarriedValuesBackAndKeepsCapturesAlive) {
  auto p = plan(kLoop);
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  ASSERT_EQ(p->loops.size(), 1u);
  // w, the initial copies into the three states (the outputs), the loop:
  // the body, its condition, the swap through two temporaries, the copies
  // back, the end.
  EXPECT_EQ(kinds(*p), (std::vector<HostStep::Kind>{HostStep::Call, HostStep::Copy, HostStep::Copy,
                                                    HostStep::Copy, HostStep::Loop, HostStep::Call,
                                                    HostStep::LoopCondition, HostStep::Copy,
                                                    HostStep::Copy, HostStep::Copy, HostStep::Copy,
                                                    HostStep::Copy, HostStep::EndLoop}));
  const auto &loop = p->loops[0];
  EXPECT_TRUE(loop.hasTripCount);
  EXPECT_EQ(loop.tripCount.kind, BufferRef::Input);
  EXPECT_EQ(p->steps[4].match, 12u);
  EXPECT_EQ(p->steps[12].match, 4u);
  // The body reads the states (the outputs) and w, which lives in the
  // arena through the whole loop: no buffer the loop still reads is reused.
  const auto &body = p->calls[1].args;
  EXPECT_EQ(body[0].kind, BufferRef::Output);
  EXPECT_EQ(body[1].kind, BufferRef::Arena);
  EXPECT_EQ(body[1].offset, p->calls[0].args[1].offset);
  EXPECT_NE(body[2].offset, body[1].offset);
  for (const auto &s : p->steps)
    if (s.kind == HostStep::Copy && s.target.kind == BufferRef::Arena)
      EXPECT_NE(s.target.offset, body[1].offset) << "a temporary over w";
  // The swap: a2 and b2 each go to a temporary first, then into the states.
  EXPECT_EQ(p->steps[7].source.kind, BufferRef::Output);
  EXPECT_EQ(p->steps[7].target.kind, BufferRef::Arena);
  EXPECT_EQ(p->steps[8].source.kind, BufferRef::Output);
  EXPECT_EQ(p->steps[8].target.kind, BufferRef::Arena);
  EXPECT_NE(p->steps[7].target.offset, p->steps[8].target.offset);
  EXPECT_EQ(p->steps[10].target.index, 1u);
  EXPECT_EQ(p->steps[11].target.index, 2u);

  std::string c = kiln::host::emitSource(*p, kiln::host::HostOptions{});
  EXPECT_NE(c.find("const int64_t trip0 = *(const int64_t *)((void *)inputs[0]);"),
            std::string::npos)
      << c;
  EXPECT_NE(c.find("for (; go0 && i0 < trip0; ++i0) {"), std::string::npos) << c;
}

TEST_F(HostControlTest, RejectsABodyOfTheWrongArity) {
  std::string ir = kLoop;
  ir.replace(ir.find("captures(%w : tensor<64xf32>)"), 29, "captures()");
  auto p = plan(ir.c_str());
  ASSERT_FALSE(bool(p));
  std::string message = llvm::toString(p.takeError());
  EXPECT_NE(message.find("@body takes 6 arguments"), std::string::npos) << message;
}

} // namespace
