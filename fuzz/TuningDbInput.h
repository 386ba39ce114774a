//===- TuningDbInput.h - the tuning database as a fuzz input -----*- C++ -*-===//
//
// The tuning-db target (fuzz/README.md): the bytes of a tuning database
// (JSON Lines, codegen/schedule/TuningDb.h), as `kilnc --tuning-db` and
// `kiln-tune` read it. Header-only like FuzzInputs.h; scripts/fuzz.sh replays
// fuzz/regressions/tuning-db/ (none yet) through it.
//
// One input goes the whole way a user's file goes, and a few promises are
// checked on the way:
//   1. loadTuningDb reads it: a file that exists never fails to load, and
//      every line it skips gets a warning;
//   2. each record's schedule text goes through ScheduleRecord::parse (the
//      `#kiln.schedule<...>` attribute parser): a record that parses turns
//      back into an attribute, and prints and parses to itself;
//   3. the records go into a database file again (mergeTuningDbs) and read
//      back: what Kiln writes, Kiln reads, with no warning;
//   4. the records are applied (applyTuningDb) to a small fixed module
//      (fuzz/tuning-db/model.onnxtext at phase kernels, weights packed: twelve
//      kernels of five patterns) for a fixed fingerprint, and the templates
//      fill in the rest (kiln-assign-schedules), as runSchedulesPhase does;
//      the module then verifies, every kernel with a record.
// A crash, sanitizer report, or a broken promise is a bug.
//
// The fingerprint is fixed, not this machine's (runSchedulesPhase asks LLVM
// for the host CPU), so that an input applies the same way on every machine.
// `writeTuningDbSeeds` writes seeds whose records match the fixed module's
// kernels and fingerprint; without them the fuzzer would rarely reach step 4.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FUZZ_TUNINGDBINPUT_H
#define KILN_FUZZ_TUNINGDBINPUT_H

#include "codegen/schedule/KernelInfo.h"
#include "codegen/schedule/Passes.h"
#include "codegen/schedule/TuningDb.h"
#include "fuzz/FuzzInputs.h"
#include "mlir/Pass/PassManager.h"

#include <map>

namespace kiln::fuzz {

/// The Halide target and fingerprint every tuning-db input is applied for:
/// a named CPU (haswell), so that schema 1 lines of that cpu (whose
/// features LLVM's CPU table gives) apply as well as schema 2 ones.
inline constexpr llvm::StringLiteral kTuningHalideTarget = "x86-64-linux-avx-avx2-f16c-fma-sse41";
inline codegen::TargetFingerprint tuningFingerprint() {
  codegen::TargetFingerprint fp{kTuningHalideTarget.str(), "haswell", "native", 1};
  fp.features = {"avx", "avx2", "f16c", "fma", "sse41"};
  fp.deviceVersion = "Linux 6.1.0"; // recorded, not matched
  return fp;
}

/// The fixed module and its context, made once per process.
class TuningDbHarness {
public:
  TuningDbHarness() : context_(makeContext()) {
    std::string model = fuzzDir() + "/tuning-db/model.onnxtext";
    auto imported = importOnnxFile(*context_, model, OnnxImportOptions());
    if (!imported)
      llvm::report_fatal_error(llvm::Twine("kiln-fuzz: cannot import ") + model + ": " +
                               llvm::toString(imported.takeError()));
    module_ = std::move(*imported);
    PipelineOptions options;
    options.target = kTuningHalideTarget.str();
    mlir::PassManager pack(context_.get());
    pack.addPass(createKilnPackWeightsPass());
    if (mlir::failed(runPipeline(*module_, Phase::Kernels, options)) ||
        mlir::failed(pack.run(*module_)))
      llvm::report_fatal_error(llvm::Twine("kiln-fuzz: ") + model + " does not compile");
  }

  /// "" when `bytes` gave every promised outcome; else what is wrong.
  std::string run(Scratch &scratch, llvm::StringRef bytes) {
    scratch.clear();
    scratch.write("tuning.jsonl", bytes);
    auto db = codegen::loadTuningDb(scratch.path("tuning.jsonl"));
    if (!db)
      return "a readable database failed to load: " + llvm::toString(db.takeError());
    for (const std::string &warning : db->warnings)
      if (warning.empty())
        return "an empty warning";

    for (const codegen::TuningRecord &record : db->records) {
      auto parsed = codegen::ScheduleRecord::parse(record.schedule, context_.get());
      if (!parsed) {
        if (llvm::toString(parsed.takeError()).empty())
          return "a schedule failed to parse with an empty message";
        continue;
      }
      auto attr = parsed->toAttr(context_.get());
      if (!attr)
        return "a schedule that parsed is refused as an attribute: " +
               llvm::toString(attr.takeError());
      auto again =
          codegen::ScheduleRecord::parse(parsed->serialize(context_.get()), context_.get());
      if (!again)
        return "a parsed schedule, printed, does not parse: " + llvm::toString(again.takeError());
      if (*again != *parsed)
        return "a parsed schedule, printed and parsed, changed: " + parsed->str() + " became " +
               again->str();
    }

    // What Kiln writes, Kiln reads: every distinct record, no warning.
    std::string out = scratch.path("merged.jsonl");
    scratch.write("merged.jsonl", "");
    if (llvm::Error err = codegen::mergeTuningDbs({*db}, out))
      return "merging failed: " + llvm::toString(std::move(err));
    auto merged = codegen::loadTuningDb(out);
    if (!merged)
      return "the merged database failed to load: " + llvm::toString(merged.takeError());
    if (!merged->warnings.empty())
      return "a database Kiln wrote reads with a warning: " + merged->warnings.front();

    // Applied to the fixed module as the schedules phase applies it.
    mlir::OwningOpRef<mlir::ModuleOp> module = module_->clone();
    codegen::TuningUse use = codegen::applyTuningDb(*module, *db, tuningFingerprint());
    for (const std::string &note : use.notes)
      if (note.empty())
        return "an empty note";
    // Nothing applied: the templates would give what they always give.
    if (!use.fromDb)
      return "";
    mlir::PassManager assign(context_.get());
    KilnAssignSchedulesPassOptions options;
    options.target = kTuningHalideTarget.str();
    options.overwrite = false;
    assign.addPass(createKilnAssignSchedulesPass(options));
    if (mlir::succeeded(assign.run(*module))) {
      if (mlir::failed(mlir::verify(*module)))
        return "the schedules phase left a module that does not verify";
      bool unscheduled = false;
      module->walk(
          [&](KernelOp kernel) { unscheduled |= !kernel->hasAttr(codegen::kScheduleAttrName); });
      if (unscheduled)
        return "a kernel was left without a schedule record";
    }
    return "";
  }

  /// Seeds in `dir`: databases whose records are for the fixed module's
  /// kernels and fingerprint, with the templates' records and variations of
  /// them (each knob moved, another pattern, another target, other CPU
  /// features, another device version, a failed measurement, a torn last
  /// line, schema 1 lines, a future schema). Returns the number.
  int writeSeeds(llvm::StringRef dir) {
    mlir::OwningOpRef<mlir::ModuleOp> module = module_->clone();
    mlir::PassManager assign(context_.get());
    KilnAssignSchedulesPassOptions options;
    options.target = kTuningHalideTarget.str();
    assign.addPass(createKilnAssignSchedulesPass(options));
    if (mlir::failed(assign.run(*module)))
      llvm::report_fatal_error("kiln-fuzz: the templates fail on the fixed module");
    std::vector<codegen::TuningRecord> records;
    module->walk([&](KernelOp kernel) {
      auto attr = kernel->getAttrOfType<ScheduleAttr>(codegen::kScheduleAttrName);
      if (!attr)
        return;
      codegen::TuningRecord r;
      r.kernel = codegen::kernelIdentity(kernel);
      r.summary = codegen::kernelSummary(kernel);
      r.target = tuningFingerprint();
      r.schedule = codegen::ScheduleRecord::fromAttr(attr).serialize(context_.get());
      r.medianMs = 0.05;
      r.minMs = 0.04;
      r.spread = 0.1;
      r.kilnVersion = "0.1";
      r.time = "2026-12-06T05:00:00Z";
      records.push_back(r);
    });
    std::map<std::string, std::string> seeds;
    std::string all;
    for (const codegen::TuningRecord &r : records)
      all += r.toJsonLine() + "\n";
    seeds["templates"] = all;
    for (size_t i = 0; i < records.size(); ++i) {
      const codegen::TuningRecord &base = records[i];
      codegen::ScheduleRecord s = *codegen::ScheduleRecord::parse(base.schedule, context_.get());
      auto variant = [&](llvm::StringRef name, auto edit) {
        codegen::ScheduleRecord v = s;
        codegen::TuningRecord r = base;
        edit(v, r);
        r.schedule = v.serialize(context_.get());
        seeds[name.str() + "-" + std::to_string(i)] = r.toJsonLine() + "\n";
      };
      variant("wide", [](auto &v, auto &) { v.vectorWidth *= 4, v.channelTile *= 8; });
      variant("tiles", [](auto &v, auto &) { v.pixelTile = 7, v.rowTile = 3, v.unroll = 4; });
      variant("parallel", [](auto &v, auto &) { v.parallelDims = {0, 1, 2}; });
      variant("root", [](auto &v, auto &) { v.computeAt = "root", v.order = "channel_major"; });
      variant("slow-and-fast", [](auto &, auto &r) { r.medianMs = 1e-9; });
      variant("crash", [](auto &, auto &r) { r.status = codegen::MeasureStatus::Crash; });
      variant("other-pattern", [](auto &v, auto &) {
        v.pattern =
            v.pattern == KernelPattern::Generic ? KernelPattern::Conv1x1 : KernelPattern::Generic;
      });
      variant("other-target", [](auto &, auto &r) { r.target.threads = 4; });
      variant("other-features", [](auto &, auto &r) { r.target.features.push_back("avx512"); });
      variant("other-device-version", [](auto &, auto &r) { r.target.deviceVersion = "v0"; });
      // As an older build wrote it: no features, no device version.
      variant("schema-1", [](auto &, auto &r) { r.schema = 1; });
      variant("schema-1-unknown-cpu", [](auto &, auto &r) {
        r.schema = 1;
        r.target.cpu = "fuzz-cpu";
      });
    }
    seeds["torn-last-line"] = all + all.substr(0, all.size() / 3);
    // A line of a future format, first: the rest must still be read.
    std::string future = all.substr(0, all.find('\n'));
    if (llvm::StringRef(future).starts_with("{\"schema\":2"))
      future.replace(0, 11, "{\"schema\":3");
    seeds["schema-3"] = future + "\n" + all;
    for (auto &[name, text] : seeds) {
      std::error_code ec;
      llvm::raw_fd_ostream os(dir.str() + "/" + name + ".jsonl", ec);
      if (ec)
        llvm::report_fatal_error(llvm::Twine("kiln-fuzz: cannot write seeds in ") + dir);
      os << text;
    }
    return int(seeds.size());
  }

private:
  std::unique_ptr<mlir::MLIRContext> context_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
};

} // namespace kiln::fuzz

#endif
