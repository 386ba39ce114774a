//===- DbReport.cpp - a tuning database, shown and merged -----------------===//
//
// The table of `kiln-tune show` is kilnc's own decision, not a second one:
// with a model it runs kilnc's schedules phase with the database and reads
// the choices it made; without one it asks TuningDb::choose per kernel.
//
//===----------------------------------------------------------------------===//
#include "tuner/DbReport.h"

#include "codegen/schedule/TuningDb.h"
#include "compiler/driver/Driver.h"
#include "compiler/pipeline/Pipeline.h"
#include "compiler/support/Error.h"
#include "mlir/IR/Diagnostics.h"
#include "targets/Targets.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/TargetParser/Host.h"

#include <map>

using namespace llvm;

namespace kiln::tuner {

Expected<codegen::TuningDb> readTuningDb(StringRef path, raw_ostream &diag, StringRef what) {
  if (!sys::fs::exists(path))
    return makeError(what + "no such file '" + path + "'");
  auto db = kiln::codegen::loadTuningDb(path);
  if (!db)
    return db.takeError();
  for (const std::string &w : db->warnings)
    diag << "kiln-tune: warning: " << w << "\n";
  return db;
}

Error showTuningDb(StringRef path, StringRef modelPath, raw_ostream &out, raw_ostream &diag) {
  using kiln::codegen::TargetFingerprint;
  using kiln::codegen::TuningDb;
  using kiln::codegen::TuningRecord;
  auto db = readTuningDb(path, diag);
  if (!db)
    return db.takeError();
  struct Row {
    std::string summary;
    unsigned measured = 0, failed = 0;
  };
  std::map<std::pair<std::string, std::string>, Row> rows;
  std::map<std::string, TargetFingerprint> targets;
  // Per target, what ran its measurements (the runners' device versions,
  // not matched) and how many records each; "" for records that do not
  // say (schema 1, or a runner that did not).
  std::map<std::string, std::map<std::string, unsigned>> versions;
  unsigned schema1 = 0;
  for (const TuningRecord &r : db->records) {
    targets[r.target.str()] = r.target;
    ++versions[r.target.str()][r.target.deviceVersion];
    schema1 += r.schema < 2;
    Row &row = rows[{r.target.str(), r.kernel}];
    row.summary = r.summary;
    // A verdict line (the acceptance's copy of a pair's winner) is no
    // measurement: not a trial.
    if (r.accepted || r.rejected)
      continue;
    ++row.measured;
    if (r.status != kiln::codegen::MeasureStatus::Ok)
      ++row.failed;
  }

  mlir::DialectRegistry registry;
  kiln::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Per target: kilnc's schedules phase on the model with this database
  // (its choices), or why the target is decided without the model.
  std::map<std::string, kiln::codegen::TuningUse> uses;
  std::map<std::string, std::string> without;
  std::string model = sys::path::filename(modelPath).str();
  for (auto &[key, fp] : targets) {
    kiln::codegen::TargetFingerprint host =
        kiln::codegen::hostFingerprint(fp.halideTarget, fp.device, fp.threads);
    if (!(fp == host)) {
      if (fp.cpu != host.cpu)
        without[key] = "measured on another CPU (" + fp.cpu + "): kilnc on this one (" + host.cpu +
                       ") applies none of these records";
      else
        without[key] = "measured on a " + fp.cpu + " with other CPU features than this one's (" +
                       join(host.features, ",") + "): kilnc applies none of these records";
      continue;
    }
    if (modelPath.empty()) {
      without[key] = "templates as the database last measured them: give the model "
                     "(kiln-tune show DB MODEL) to check them against today's";
      continue;
    }
    StringRef targetName = fp.device == "native" ? "cpu" : fp.device == "vulkan" ? "spirv" : "wasm";
    const kiln::Target *t = kiln::findTarget(targetName);
    if (!t)
      return makeError("this build has no " + targetName + " target");
    auto variants = t->variants(kiln::TargetOptions());
    if (!variants)
      return variants.takeError();
    auto variant = llvm::find_if(
        *variants, [&, &fp = fp](const auto &v) { return v.halideTarget == fp.halideTarget; });
    if (variant == variants->end()) {
      without[key] = "no variant of the " + targetName.str() + " target compiles for '" +
                     fp.halideTarget + "': templates as the database last measured them";
      continue;
    }
    kiln::DriverOptions driverOptions;
    driverOptions.inputPath = modelPath.str();
    auto module = kiln::loadModel(context, driverOptions);
    if (!module)
      return module.takeError();
    std::string diagText;
    raw_string_ostream diagStream(diagText);
    SourceMgr sourceMgr;
    mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagStream);
    kiln::PipelineOptions pipelineOptions;
    pipelineOptions.target = variant->halideTarget;
    pipelineOptions.fuseBlocks = t->fuseBlocksByDefault();
    kiln::TuningOptions tuning;
    tuning.db = &*db;
    tuning.device = fp.device;
    tuning.threads = fp.threads;
    tuning.use = &uses[key];
    if (failed(kiln::runPipeline(**module, kiln::Phase::Kernels, pipelineOptions)) ||
        failed(kiln::runSchedulesPhase(**module, *variant, kiln::codegen::ScheduleMode::Template,
                                       tuning)))
      return makeError("compilation failed:\n" + StringRef(diagText).rtrim());
  }

  std::string lastTarget;
  struct Counts {
    unsigned listed = 0, tuned = 0, kept = 0, rejected = 0, changed = 0, none = 0, absent = 0;
  } counts;
  auto footer = [&] {
    if (lastTarget.empty())
      return;
    const TargetFingerprint &fp = targets[lastTarget];
    bool here = fp == kiln::codegen::hostFingerprint(fp.halideTarget, fp.device, fp.threads);
    // Not this machine: what kilnc would take on the machine of the records.
    out << "  kilnc" << (here ? "" : " on " + fp.cpuText()) << " takes "
        << counts.tuned + counts.kept << " of the " << counts.listed
        << " kernels listed: " << counts.tuned << " tuned, " << counts.kept
        << " the template their tune kept";
    if (counts.rejected)
      out << " (" << counts.rejected << " because the tuned record was rejected end to end)";
    if (counts.changed)
      out << "; " << counts.changed << " template changed since tuning (today's template; "
          << "kiln-tune --retune)";
    if (counts.none)
      out << "; " << counts.none << " with no ok measurement of the template";
    if (counts.absent)
      out << "; " << counts.absent << " not in " << model;
    out << "\n";
    if (auto it = uses.find(lastTarget); it != uses.end())
      out << "  with " << model << ": " << it->second.fromDb << " of " << it->second.kernels
          << " kernels scheduled from this database, as kilnc --tuning-db counts them\n";
    else
      out << "  " << without[lastTarget] << "\n";
    counts = Counts();
  };
  for (auto &[key, row] : rows) {
    const TargetFingerprint &fp = targets[key.first];
    if (key.first != lastTarget) {
      footer();
      out << "target " << key.first << "\n";
      // Recorded, never matched: kilnc cannot know what will run its code.
      std::vector<std::string> seen;
      for (auto &[version, n] : versions[key.first])
        seen.push_back((version.empty() ? "not recorded" : version) + " (" + std::to_string(n) +
                       " records)");
      out << "  device version (recorded, not matched): " << join(seen, ", ") << "\n";
      out << "  " << left_justify("kernel", 20) << " " << left_justify("summary", 44)
          << "         ms trials failed  kilnc     schedule\n";
      lastTarget = key.first;
    }
    ++counts.listed;
    TuningDb::Choice choice;
    bool absent = false;
    if (auto use = uses.find(key.first); use != uses.end()) {
      auto it = use->second.choices.find(key.second);
      absent = it == use->second.choices.end();
      if (!absent)
        choice = it->second;
    } else {
      choice = db->choose(key.second, fp, db->lastBaseline(key.second, fp));
    }
    StringRef state;
    switch (choice.kind) {
    case TuningDb::Choice::Tuned:
      state = "tuned";
      ++counts.tuned;
      break;
    case TuningDb::Choice::TemplateKept:
      state = choice.rejected ? "rejected" : "template";
      ++counts.kept;
      counts.rejected += choice.rejected != nullptr;
      break;
    case TuningDb::Choice::TemplateChanged:
      state = "changed";
      ++counts.changed;
      break;
    case TuningDb::Choice::None:
      state = absent ? "absent" : "none";
      ++(absent ? counts.absent : counts.none);
      break;
    }
    std::string schedule = "-", ms = "-";
    if (choice.record) {
      auto record = kiln::codegen::ScheduleRecord::parse(choice.record->schedule, &context);
      schedule = record ? record->str() : "(unreadable) " + toString(record.takeError());
      ms = formatv("{0:F4}", choice.record->medianMs).str();
    }
    out << format("  %-20s %-44s %10s %6u %6u  %-9s %s\n", key.second.c_str(), row.summary.c_str(),
                  ms.c_str(), row.measured, row.failed, state.str().c_str(), schedule.c_str());
  }
  footer();
  if (schema1)
    out << schema1 << " records of schema 1: their features are those LLVM's CPU table gives "
        << "their cpu; no device version\n";
  out << "kilnc: tuned (beat today's template side by side), template (the template its tune "
         "kept), rejected (its pair's winner lost end to end: the template), changed (template "
         "changed since tuning: today's, re-tune), none (template never measured ok), absent "
         "(not in the model)\n";
  return Error::success();
}

Error mergeTuningDbFiles(ArrayRef<std::string> inputs, StringRef outPath, raw_ostream &out,
                         raw_ostream &diag) {
  std::vector<kiln::codegen::TuningDb> dbs;
  for (const std::string &path : inputs) {
    auto db = readTuningDb(path, diag);
    if (!db)
      return db.takeError();
    dbs.push_back(std::move(*db));
  }
  size_t in = 0;
  for (const auto &db : dbs)
    in += db.records.size();
  if (Error err = kiln::codegen::mergeTuningDbs(dbs, outPath))
    return err;
  auto merged = kiln::codegen::loadTuningDb(outPath);
  if (!merged)
    return merged.takeError();
  out << "kiln-tune: " << in << " records in, " << merged->records.size() << " distinct out ("
      << outPath << ")\n";
  return Error::success();
}

} // namespace kiln::tuner
