//===- HalideWorkarounds.h - avoiding Halide 14 bugs ------------*- C++ -*-===//
//
// Debian's Halide is 14. Its autoschedulers can produce schedules that
// Halide 14 itself then lowers wrongly: a compile error, or worse, wrong
// values. Each function here rewrites an already scheduled pipeline so that
// one such bug cannot fire, changing only where a Func is stored (never what
// is computed), and says which bug, where Kiln met it, and what proves the
// rewrite right. applyAutoSchedule (ApplySchedule.cpp) runs them, in the
// order below, after every autoscheduler; Kiln's templates do not go
// through them.
//
// The first two bugs involve hoisted storage (store_at outside compute_at,
// which Halide uses for sliding windows and storage folding), so both are
// one walker over such Funcs with a different rule; the third is about
// vectorized tails of Tuple-valued Funcs. A Halide upgrade should
// check each with its regression test before removing it.
//
// No Halide include: only a reference to the pipeline crosses this header.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_HALIDE_HALIDEWORKAROUNDS_H
#define KILN_CODEGEN_HALIDE_HALIDEWORKAROUNDS_H

namespace Halide {
class Pipeline;
} // namespace Halide

namespace kiln::codegen {

/// Halide 14 bug: a Func stored at an outer loop (store_at, for a sliding
/// window or folding) but computed at the outer loop of a GuardWithIf (or
/// Auto) split of its consumer lowers to code that reads that loop's
/// variable outside the loop: CodeGen_LLVM fails with "Symbol not found:
/// depthwise_0.s1.d1.d1".
///
/// Met on Adams2019's schedules for BlazeFace's depthwise kernels (commit
/// b5901bf). Such a Func is stored where it is computed instead: correct,
/// only without the reuse across iterations that the hoisted storage would
/// have allowed. Proven by AutoScheduleTest.Adams2019DepthwiseCompilesWithoutFallback
/// (test/unit/codegen): BlazeFace front's depthwise_conv2d_1 (3x3, pad 1,
/// 64x64x24) compiles under Adams2019 itself, not through the template
/// fallback. Returns how many Funcs were changed.
int storeWhereComputedAtGuardedSplits(const Halide::Pipeline &pipeline);

/// Halide 14 bug (wrong values, read from uninitialised stack): a Func
/// stored more than one loop outside the loop it is computed in. Halide
/// turns hoisted storage into a sliding window over the compute loop, and
/// with further loops between the storage and that loop later iterations
/// skip values that were never computed.
///
/// Met on Adams2019's schedules for BlazeFace's 3x3 depthwise kernels
/// (commit 1271c61): Adams2019 stored the padded input at the kernel-row
/// loop and computed it per kernel-column tap, with a channel loop and a
/// pixel-block loop between; 4 of BlazeFace front's 46 distinct kernels were
/// wrong, with errors up to 1e37. A plain Halide pipeline shows it too
/// (g(x) = f(x) + f(x+1) + f(x+2), g split into xo and xi, f computed at xi
/// and stored at g's row: most values wrong), while storage one loop out of
/// the compute loop slides correctly; Halide's tracker has the same family
/// of failures (halide/Halide#8140, sliding window by rewinding the loop
/// min).
///
/// Such storage is moved in to the loop just outside the compute loop: it
/// keeps the sliding window over that loop and gives up the reuse across
/// the outer ones (where the compute loop is not exactly one loop of one
/// stage, storage moves to the compute loop itself, which is always
/// correct). Proven by AutoScheduleTest.Adams2019DepthwiseMatchesReference
/// (BlazeFace front's depthwise_conv2d_21, 16x16x48, against reference
/// loops: 3072 of 12288 values wrong without the rewrite; Adams2019's choice
/// depends on the machine, so elsewhere it may pass without it) and by
/// BlazeFace front under --schedule=auto:adams2019 matching onnxruntime-node
/// (test/e2e/cpu.test.mjs, no longer marked TODO; every kernel's result now
/// equals its template schedule's exactly). Returns how many Funcs were
/// changed.
int storeAtMostOneLoopOut(const Halide::Pipeline &pipeline);

/// Halide 14 bug (wrong values): a Tuple-valued Func (argmax: index and
/// value) whose stage is split with TailStrategy::GuardWithIf and whose
/// inner loop is vectorized, over an extent known at compile time and not
/// a multiple of the vector, computes the full vectors only: the tail keeps
/// its initial value. Single-valued Funcs, and the same split unvectorized,
/// are right.
///
/// Met by the sweep (test/sweep) on TF.js MoveNet lightning and thunder under
/// --schedule=auto:mullapudi2016 for the CPU (AVX-512): Mullapudi2016
/// vectorizes the argmax over 17 keypoint heatmaps 16 wide with
/// GuardWithIf, and keypoint 16 came out as heatmap index 0 (an error of
/// 0.54 in its coordinates). A plain Halide pipeline shows it too
/// (argmax(in(c, r)) over c in [0, 17) with the output's bounds set:
/// channel 16 is 0). Such loops run unvectorized (an argmax's channel loop
/// is a small part of its kernel). Proven by test/lit/kilnc/autoschedule_argmax.test
/// (the argmax over 2304 x 17 under Mullapudi2016 equals the reference) and
/// by the sweep's MoveNet rows. Returns how many loops were changed.
int scalarGuardedTupleVectors(const Halide::Pipeline &pipeline);

} // namespace kiln::codegen

#endif
