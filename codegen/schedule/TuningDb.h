//===- TuningDb.h - measured schedule records, as a file people commit -*- C++ -*-===//
//
// A tuning database is JSON Lines, append-only: one measurement per line,
// fields in a fixed order, so that it diffs and merges like source. Each
// line says which kernel (kernelIdentity: body, static operands, shapes,
// types; no schedule), on which target (the fingerprint below), with which
// schedule record (its stable printed form, ScheduleRecord::serialize), how
// fast (median, min, spread) and with what outcome (ok, wrong, crash,
// timeout, compile-error). The schedules phase takes, per kernel and for
// the exact fingerprint, a record that beat the kernel's current template
// when the two were timed side by side (applyTuningDb, TuningDb::choose);
// everything else in the file is ignored with a reason, never misapplied.
//
//   {"schema":2,"kernel":"3c3c3b68d2c9d7fa0a1b","summary":"conv1x1 1x56x56x24 -> 1x56x56x144",
//    "target":{"halide":"host","cpu":"znver3","features":["avx","avx2","f16c","fma","sse41"],
//              "device":"node","device_version":"v20.20.2","threads":1},
//    "schedule":"#kiln.schedule<version = 1, mode = template, ...>","median_ms":0.081,
//    "min_ms":0.079,"spread":0.04,"status":"ok","kiln":"0.1","time":"2026-12-06T02:10:00Z"}
//
// Schema 1 lines (no "features", no "device_version") are still read: their
// features are those LLVM's CPU table gives their cpu (cpuFeaturesOf), and
// they are written back unchanged (merge keeps their lines and hashes). A
// schema 1 line whose cpu the table does not know is ignored with a warning.
//
// Writers append one whole line with one write and flush it; a line cut by
// a kill or power loss is the file's last bytes without a newline, and
// readers skip it (appendRecord first cuts it off). No Halide here.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCHEDULE_TUNINGDB_H
#define KILN_CODEGEN_SCHEDULE_TUNINGDB_H

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::codegen {

/// The format version this build writes. Schema 2 added the CPU features
/// (matched) and the device's version (recorded, not matched) to the
/// target; this build also reads schema 1 (kTuningSchemaOldest).
constexpr int kTuningSchema = 2;
constexpr int kTuningSchemaOldest = 1;

/// A candidate replaces the template only if its pair's median is below
/// this fraction of the template's: a 1-2% "win" is within the spread of a
/// pair on a shared 2-core machine, and a record kilnc applies must not be
/// a slowdown in disguise.
constexpr double kPairWinRatio = 0.98;

/// Where a measurement was taken. Records apply only to the exact same
/// fingerprint (halide target, cpu, features, device, threads): a schedule
/// fast on one CPU, engine or thread count says nothing about another.
struct TargetFingerprint {
  TargetFingerprint() = default;
  TargetFingerprint(std::string halideTarget, std::string cpu, std::string device, int threads,
                    std::vector<std::string> features = {}, std::string deviceVersion = "")
      : halideTarget(std::move(halideTarget)), cpu(std::move(cpu)), device(std::move(device)),
        threads(threads), features(std::move(features)), deviceVersion(std::move(deviceVersion)) {}
  std::string halideTarget; ///< the variant's Halide target ("host", "wasm-32-wasmrt-...")
  std::string cpu;          ///< LLVM's name for the CPU ("skylake-avx512")
  std::string device;       ///< "native", "node", "chromium", "vulkan"
  int threads = 1;
  /// The CPU features that change the code Halide generates for "host"
  /// (hostCpuFeatures: Halide's names, sorted). The halide target stays
  /// "host" in the record (what kilnc --target=cpu compiles for, and what
  /// schema 1 wrote); these say what "host" resolved to. Recorded for every
  /// device: the machine's features are the measuring machine's, and two
  /// machines with one LLVM CPU name can differ (a VM that hides AVX-512).
  std::vector<std::string> features;
  /// What ran the code, as its runner reported it (tuner/README.md, "The
  /// runner protocol"): Node's process.version, Chromium's browser version,
  /// the Vulkan device and driver, the kernel (uname -sr) for native; ""
  /// when the runner did not say. Recorded and shown, never matched: kilnc
  /// cannot know which Node, Chromium or driver will run what it builds.
  std::string deviceVersion;
  bool operator==(const TargetFingerprint &o) const {
    return halideTarget == o.halideTarget && cpu == o.cpu && device == o.device &&
           threads == o.threads && features == o.features;
  }
  /// "host/znver3(avx,avx2,f16c,fma,sse41)/native/1t" (no parentheses
  /// without features): for messages and tables. No device version.
  std::string str() const;
  /// "znver3(avx,avx2,f16c,fma,sse41)": the cpu and the features it ran with.
  std::string cpuText() const;
};

/// This machine's fingerprint for a variant's Halide target (no device
/// version: only a runner knows it).
TargetFingerprint hostFingerprint(llvm::StringRef halideTarget, llvm::StringRef device,
                                  int threads);

/// The features Halide 14's get_host_target() resolves "host" to on this
/// machine, in Halide's names, sorted ("avx", "avx2", "f16c", "fma",
/// "sse41"; the avx512 family). Computed from LLVM's host feature list by
/// Halide's own rules, so that it needs no Halide and agrees with
/// cpuFeaturesOf (test/unit/TunerTest.cpp checks it against Halide's on
/// the test machine). Empty off x86-64: Halide 14 resolves no host
/// features there, and the cpu name alone tells.
std::vector<std::string> hostCpuFeatures();

/// The same for a CPU by its LLVM name, from LLVM's CPU table (how schema
/// 1 records get their features): std::nullopt if the table does not know
/// it.
std::optional<std::vector<std::string>> cpuFeaturesOf(llvm::StringRef cpu);

enum class MeasureStatus { Ok, Wrong, Crash, Timeout, CompileError };
llvm::StringRef measureStatusName(MeasureStatus status);

struct TuningRecord {
  /// kTuningSchema, or 1 for a line read from a schema 1 file (its
  /// features derived from its cpu; toJsonLine writes it as schema 1).
  int schema = kTuningSchema;
  std::string kernel;  ///< kernelIdentity
  std::string summary; ///< pattern and shapes, for people
  TargetFingerprint target;
  std::string schedule; ///< ScheduleRecord::serialize
  double medianMs = 0, minMs = 0;
  double spread = 0; ///< (max - min) / median of the timed repeats
  MeasureStatus status = MeasureStatus::Ok;
  std::string kilnVersion;
  std::string time; ///< UTC, ISO 8601
  /// Timed side by side with the task's template, in the same runner, at
  /// the end of a tune: the two records of a pair share kernel, target and
  /// time. Written as `"paired":true` after "time", only when set (older
  /// lines, and their hashes, are unchanged; older readers ignore it).
  bool paired = false;
  /// The template the tune measured this kernel against: its first
  /// measurement of the task and the template's half of a pair. Written as
  /// `"baseline":true` after "paired", only when set. kilnc applies a tuned
  /// record only where the pair's baseline is the kernel's template today
  /// (TuningDb::choose): templates improve after a tune, and a record that
  /// beat yesterday's template may lose to today's.
  bool baseline = false;
  /// The whole-model acceptance (kiln-tune, tuner/Accept.h) built the model
  /// with this kernel's tuned record and without it, timed the two in
  /// alternating pairs: the record did not pay end to end (`rejected`: it
  /// never applies, whatever pair it won before this line's time) or did
  /// (`accepted`: a resumed tune does not judge it again). A copy of the
  /// pair's winning record (its kernel times) with the flag and the time of
  /// the decision. Written as `"rejected":true` or `"accepted":true` after
  /// "baseline", only when set; a line with both is malformed (skipped with
  /// a warning), and neither is a measurement (`kiln-tune show` does not
  /// count it as a trial).
  bool rejected = false;
  bool accepted = false;
  /// One line of JSON, fields in the order above, no newline.
  std::string toJsonLine() const;
  /// A short stable hash of the line: names a record in provenance.
  std::string hash() const;
};

/// A database as read: the usable records and a line for each one skipped.
struct TuningDb {
  std::string path;
  std::vector<TuningRecord> records;
  /// "tuning.jsonl:7: malformed record (expected a finite number for median_ms);
  /// skipped": one per line that cannot be used as it stands.
  std::vector<std::string> warnings;
  /// The template the database last measured `kernel` against on `target`:
  /// the schedule of its latest baseline record, or, in a file written
  /// before that flag, of its first record (a tune measures the template
  /// first); "" if it has no record there. What `kiln-tune show` decides
  /// against (choose) when it has no model to compute today's template.
  std::string lastBaseline(llvm::StringRef kernel, const TargetFingerprint &target) const;

  /// What the schedules phase does with `kernel`, whose template today is
  /// `currentTemplate` (ScheduleRecord::serialize):
  /// - Tuned: the latest pair whose baseline is that template was won by
  ///   the other record (`record`, by kPairWinRatio), timed side by side,
  ///   and no later line rejects that record (`rejected`: it lost end to
  ///   end; then TemplateKept);
  /// - TemplateKept: the template was measured (in a pair it won, or alone
  ///   with no pair after it): `record` is its measurement; `rejected` is
  ///   the latest pair's winner if the acceptance rejected it;
  /// - TemplateChanged: the kernel was tuned, but against another template
  ///   (not a record of today's template in the file): nothing applies
  ///   until it is tuned again;
  /// - None: no record of the kernel for this target, or today's template
  ///   measured only as a failure.
  /// A pair written before the baseline flag counts the member equal to
  /// today's template as its baseline. Search records outside a pair never
  /// apply: only a side-by-side win over today's template does. kilnc
  /// (applyTuningDb) and `kiln-tune show` both decide here, and nowhere else.
  struct Choice {
    enum Kind { None, Tuned, TemplateKept, TemplateChanged } kind = None;
    const TuningRecord *record = nullptr;
    const TuningRecord *rejected = nullptr;
  };
  Choice choose(llvm::StringRef kernel, const TargetFingerprint &target,
                llvm::StringRef currentTemplate) const;
};

/// Reads `path` (a missing file is an empty database). Malformed lines,
/// records of a schema this build does not read, and schema 1 records whose
/// cpu LLVM's CPU table does not know become warnings; only I/O errors fail.
llvm::Expected<TuningDb> loadTuningDb(llvm::StringRef path);

/// Appends one record as one line, flushed to disk before returning. A torn
/// last line left by an earlier writer is cut off first.
llvm::Error appendRecord(llvm::StringRef path, const TuningRecord &record);

/// A and B as one database: every distinct record once (by its line), in
/// A's order then B's new ones. Written to `out` through a temporary file.
llvm::Error mergeTuningDbs(llvm::ArrayRef<TuningDb> inputs, llvm::StringRef out);

/// What the schedules phase did with a database on one module.
struct TuningUse {
  unsigned kernels = 0;           ///< kernels in the module
  unsigned fromDb = 0;            ///< of them, scheduled from the database:
  unsigned tuned = 0;             ///<   by a record that beat the template
  unsigned templateKept = 0;      ///<   by the template, which the tune kept
  unsigned templateChanged = 0;   ///< tuned against another template: left alone
  unsigned otherTarget = 0;       ///< records for another fingerprint:
  unsigned otherFeatures = 0;     ///<   of them, only the CPU features differ
  unsigned unknownKernel = 0;     ///< records for this fingerprint, no such kernel here
  std::vector<std::string> notes; ///< one line per thing ignored, for the user
  /// Each kernel's choice, by kernelIdentity (pointing into the database):
  /// what `kiln-tune show MODEL` prints.
  std::map<std::string, TuningDb::Choice> choices;
};

/// Attaches, to every kernel of `module` (phase kernels, weights packed)
/// that the database decides for `target` (TuningDb::choose against the
/// kernel's template on target.halideTarget), its record, with its
/// provenance in kScheduleSourceAttrName ("tuned <hash> <time>"). Kernels
/// without one, and kernels whose template changed since they were tuned
/// (one note counts them), are left for the templates. A record whose
/// schedule does not parse, or was tuned for another pattern, is skipped
/// with a note.
TuningUse applyTuningDb(mlir::ModuleOp module, const TuningDb &db, const TargetFingerprint &target);

/// "conv1x1 1x56x56x24 -> 1x56x56x144": the kernel's pattern, first input
/// and first result shapes.
std::string kernelSummary(KernelOp kernel);

} // namespace kiln::codegen

#endif
