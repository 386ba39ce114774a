//===- kiln-tune.cpp - tune a model's schedules on this device ------------===//
//
//   kiln-tune model.onnx --target=cpu|wasm|spirv --device=native|node|chromium|vulkan
//             --db=tuning.jsonl
//             [--trials=N] [--minutes=M] [--threads=T] [--seed=S]
//             [--search=evolve|random|grid] [--workers=W] [--curve=tuning.png]
//             [--curve-data=curve.tsv]
//   kiln-tune tasks model.onnx [--target=cpu]   (the kernels a tune would search)
//   kiln-tune model.onnx --db=table.jsonl --pool=N [--kernels=ID,...]
//             (measure N random records per kernel, for replay)
//   kiln-tune model.onnx --db=scratch.jsonl --replay=table.jsonl [--kernels=ID,...]
//             (a search answered from that table: benchmarks/tuner/replay.mjs)
//   kiln-tune model.onnx --db=tuning.jsonl --retune [--trials=N]
//             (only the kernels whose template changed since the DB tuned them)
//   kiln-tune show tuning.jsonl [model.onnx]   (what kilnc takes, per kernel)
//   kiln-tune merge A.jsonl B.jsonl -o C.jsonl
//
// Thin: the model goes through the pipeline to the schedules phase as kilnc
// takes it, tuner/ searches and measures, and the database is what
// `kilnc --tuning-db` reads. `--runner` (internal) makes this process a
// measuring runner for a tuner (tuner/Runner.h); `--compile-task` (internal)
// builds one candidate's artifact for the WASM runners (tuner/runners/).
//
//===----------------------------------------------------------------------===//
#include "codegen/schedule/KernelInfo.h"
#include "codegen/schedule/TuningDb.h"
#include "compiler/driver/Driver.h"
#include "compiler/pipeline/Pipeline.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "targets/Targets.h"
#include "tuner/Accept.h"
#include "tuner/Devices.h"
#include "tuner/Plot.h"
#include "tuner/Runner.h"
#include "tuner/RunnerMain.h"
#include "tuner/Task.h"
#include "tuner/Tuner.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <map>
#include <optional>

using namespace llvm;

static int fail(const Twine &message) {
  errs() << "kiln-tune: error: " << message << "\n";
  return 1;
}

// kiln-tune show DB [MODEL]: per kernel and target, what kilnc
// --tuning-db takes, decided by the function kilnc decides with
// (TuningDb::choose), as a table. With the model, each kernel's template
// today comes from kilnc's own schedules phase (the choices applyTuningDb
// made); without it, the template the database last measured stands for it
// (TuningDb::lastBaseline): right until a template changes, which only the
// model can tell.
static int show(StringRef path, StringRef modelPath) {
  using kiln::codegen::TargetFingerprint;
  using kiln::codegen::TuningDb;
  using kiln::codegen::TuningRecord;
  if (!sys::fs::exists(path))
    return fail("no such file '" + path + "'");
  auto db = kiln::codegen::loadTuningDb(path);
  if (!db)
    return fail(toString(db.takeError()));
  for (const std::string &w : db->warnings)
    errs() << "kiln-tune: warning: " << w << "\n";
  struct Row {
    std::string summary;
    unsigned measured = 0, failed = 0;
  };
  std::map<std::pair<std::string, std::string>, Row> rows;
  std::map<std::string, TargetFingerprint> targets;
  for (const TuningRecord &r : db->records) {
    targets[r.target.str()] = r.target;
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
    if (!(fp == kiln::codegen::hostFingerprint(fp.halideTarget, fp.device, fp.threads))) {
      without[key] = "measured on another CPU (" + fp.cpu + "): kilnc on this one (" +
                     sys::getHostCPUName().str() + ") applies none of these records";
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
      return fail("this build has no " + targetName + " target");
    auto variants = t->variants(kiln::TargetOptions());
    if (!variants)
      return fail(toString(variants.takeError()));
    auto variant =
        llvm::find_if(*variants, [&](const auto &v) { return v.halideTarget == fp.halideTarget; });
    if (variant == variants->end()) {
      without[key] = "no variant of the " + targetName.str() + " target compiles for '" +
                     fp.halideTarget + "': templates as the database last measured them";
      continue;
    }
    kiln::DriverOptions driverOptions;
    driverOptions.inputPath = modelPath.str();
    auto module = kiln::loadModel(context, driverOptions);
    if (!module)
      return fail(toString(module.takeError()));
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
      return fail("compilation failed:\n" + StringRef(diagText).rtrim());
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
    outs() << "  kilnc" << (here ? "" : " on " + fp.cpu) << " takes " << counts.tuned + counts.kept
           << " of the " << counts.listed << " kernels listed: " << counts.tuned << " tuned, "
           << counts.kept << " the template their tune kept";
    if (counts.rejected)
      outs() << " (" << counts.rejected << " because the tuned record was rejected end to end)";
    if (counts.changed)
      outs() << "; " << counts.changed << " template changed since tuning (today's template; "
             << "kiln-tune --retune)";
    if (counts.none)
      outs() << "; " << counts.none << " with no ok measurement of the template";
    if (counts.absent)
      outs() << "; " << counts.absent << " not in " << model;
    outs() << "\n";
    if (auto it = uses.find(lastTarget); it != uses.end())
      outs() << "  with " << model << ": " << it->second.fromDb << " of " << it->second.kernels
             << " kernels scheduled from this database, as kilnc --tuning-db counts them\n";
    else
      outs() << "  " << without[lastTarget] << "\n";
    counts = Counts();
  };
  for (auto &[key, row] : rows) {
    const TargetFingerprint &fp = targets[key.first];
    if (key.first != lastTarget) {
      footer();
      outs() << "target " << key.first << "\n";
      outs() << "  " << left_justify("kernel", 20) << " " << left_justify("summary", 44)
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
    outs() << format("  %-20s %-44s %10s %6u %6u  %-9s %s\n", key.second.c_str(),
                     row.summary.c_str(), ms.c_str(), row.measured, row.failed, state.str().c_str(),
                     schedule.c_str());
  }
  footer();
  outs() << "kilnc: tuned (beat today's template side by side), template (the template its tune "
            "kept), rejected (its pair's winner lost end to end: the template), changed (template "
            "changed since tuning: today's, re-tune), none (template never measured ok), absent "
            "(not in the model)\n";
  return 0;
}

static int merge(ArrayRef<std::string> inputs, StringRef out) {
  std::vector<kiln::codegen::TuningDb> dbs;
  for (const std::string &path : inputs) {
    if (!sys::fs::exists(path))
      return fail("no such file '" + path + "'");
    auto db = kiln::codegen::loadTuningDb(path);
    if (!db)
      return fail(toString(db.takeError()));
    for (const std::string &w : db->warnings)
      errs() << "kiln-tune: warning: " << w << "\n";
    dbs.push_back(std::move(*db));
  }
  size_t in = 0;
  for (const auto &db : dbs)
    in += db.records.size();
  if (Error err = kiln::codegen::mergeTuningDbs(dbs, out))
    return fail(toString(std::move(err)));
  auto merged = kiln::codegen::loadTuningDb(out);
  if (!merged)
    return fail(toString(merged.takeError()));
  outs() << "kiln-tune: " << in << " records in, " << merged->records.size() << " distinct out ("
         << out << ")\n";
  return 0;
}

// kiln-tune --compile-task TARGET TASK.mlir OUTDIR [SCHEDULE]: the artifact
// of a task module (or a whole model at phase schedules, with SCHEDULE
// empty) as kilnc would write it for TARGET, named "task", in OUTDIR. The
// node-side runners run it once per candidate, in a process of its own, so
// that a compiler crash on a candidate is that candidate's compile-error.
// KILN_TUNE_REUSE_RUNTIME=PATH (cpu): copy that libkiln_runtime.a instead
// of building it.
static int compileTask(StringRef targetName, StringRef taskPath, StringRef outDir,
                       StringRef scheduleText) {
  const kiln::Target *t = kiln::findTarget(targetName);
  if (!t)
    return fail("unknown target '" + targetName + "'");
  mlir::DialectRegistry registry;
  kiln::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr sources;
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(taskPath, sources, &context);
  if (!module)
    return fail("cannot parse task '" + taskPath + "'");
  if (!scheduleText.empty()) {
    auto record = kiln::codegen::ScheduleRecord::parse(scheduleText, &context);
    if (!record)
      return fail(toString(record.takeError()));
    auto attr = record->toAttr(&context);
    if (!attr)
      return fail(toString(attr.takeError()));
    kiln::tuner::taskKernel(*module)->setAttr(kiln::codegen::kScheduleAttrName, *attr);
  }
  kiln::TargetOptions options;
  options.outputDir = outDir.str();
  options.modelName = "task";
  options.sourceName = sys::path::filename(taskPath).str();
  options.wasmFallback = false; // the runner measures the SIMD module only
  // The native runner builds a library per candidate; the runtime is the
  // same for all (tuner/runners/library_runner.mjs keeps the first one).
  if (const char *runtime = std::getenv("KILN_TUNE_REUSE_RUNTIME"))
    options.reuseRuntime = runtime;
  mlir::ModuleOp scheduled[] = {*module};
  if (Error err = t->emit(scheduled, options))
    return fail(toString(std::move(err)));
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  if (argc >= 2 && StringRef(argv[1]) == "--runner")
    return kiln::tuner::runnerMain();
  if (argc >= 2 && StringRef(argv[1]) == "--compile-task") {
    if (argc != 5 && argc != 6)
      return fail("usage: kiln-tune --compile-task TARGET TASK.mlir OUTDIR [SCHEDULE]");
    return compileTask(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : "");
  }
  // `kiln-tune tasks model` is `kiln-tune model --tasks` (no --db needed).
  std::vector<char *> rewritten(argv, argv + argc);
  if (argc >= 2 && StringRef(argv[1]) == "tasks") {
    rewritten.erase(rewritten.begin() + 1);
    rewritten.push_back(const_cast<char *>("--tasks"));
    rewritten.push_back(const_cast<char *>("--db=-"));
    argc = int(rewritten.size());
    argv = rewritten.data();
  }
  if (argc >= 2 && StringRef(argv[1]) == "show") {
    if (argc != 3 && argc != 4)
      return fail("usage: kiln-tune show <tuning.jsonl> [model]");
    return show(argv[2], argc == 4 ? argv[3] : "");
  }
  if (argc >= 2 && StringRef(argv[1]) == "merge") {
    std::vector<std::string> inputs;
    std::string out;
    for (int i = 2; i < argc; ++i) {
      if (StringRef(argv[i]) == "-o" && i + 1 < argc)
        out = argv[++i];
      else
        inputs.push_back(argv[i]);
    }
    if (inputs.empty() || out.empty())
      return fail("usage: kiln-tune merge A.jsonl B.jsonl ... -o C.jsonl");
    return merge(inputs, out);
  }

  // --threads=N: LLVM's own libraries register a "threads" option, so this
  // one is taken off the command line before cl sees it.
  int threads = 1;
  std::vector<char *> args;
  for (int i = 0; i < argc; ++i) {
    StringRef arg = argv[i];
    if (arg.consume_front("--threads=") || arg.consume_front("-threads=")) {
      if (arg.getAsInteger(10, threads))
        return fail("--threads expects a number, not '" + arg + "'");
    } else {
      args.push_back(argv[i]);
    }
  }
  argc = int(args.size());
  argv = args.data();
  cl::OptionCategory category("kiln-tune options");
  cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx | model.json | model.mlir>"),
                             cl::Required, cl::cat(category));
  cl::opt<std::string> target("target", cl::desc("cpu (default), wasm or spirv"), cl::init("cpu"),
                              cl::cat(category));
  cl::opt<std::string> device(
      "device",
      cl::desc("Where to measure: native (cpu; default), node or chromium (wasm), vulkan "
               "(spirv)"),
      cl::init(""), cl::cat(category));
  cl::opt<std::string> dbPath("db", cl::desc("The tuning database to append to"),
                              cl::value_desc("tuning.jsonl"), cl::Required, cl::cat(category));
  cl::opt<unsigned> trials("trials",
                           cl::desc("Measurements in all (default 200; 0 with "
                                    "--minutes: until the time is up)"),
                           cl::init(200), cl::cat(category));
  cl::opt<double> minutes("minutes", cl::desc("Stop after this many minutes"), cl::init(0),
                          cl::cat(category));
  cl::opt<unsigned> seed("seed", cl::desc("Random seed (default 1)"), cl::init(1),
                         cl::cat(category));
  cl::opt<std::string> search("search", cl::desc("evolve (default), random or grid"),
                              cl::init("evolve"), cl::cat(category));
  cl::opt<unsigned> workers("workers", cl::desc("Runner processes (default 2)"), cl::init(2),
                            cl::cat(category));
  cl::opt<bool> noAuto("no-autoschedulers",
                       cl::desc("Do not seed tasks with Halide's autoschedulers"),
                       cl::cat(category));
  cl::opt<std::string> curve("curve", cl::desc("Write the tuning curve here (PNG)"),
                             cl::value_desc("tuning.png"), cl::cat(category));
  cl::opt<std::string> curveData(
      "curve-data",
      cl::desc("Write the tuning curve's points here (TSV: trials, seconds, estimated model ms; "
               "from the batch where every kernel has a time)"),
      cl::value_desc("curve.tsv"), cl::cat(category));
  cl::opt<bool> listTasks("tasks", cl::desc("List the tasks (distinct kernels) and stop"),
                          cl::cat(category));
  cl::list<std::string> kernels(
      "kernels", cl::CommaSeparated,
      cl::desc("Tune only these kernels (identities as `kiln-tune tasks` prints them, a "
               "prefix of one, or a summary such as \"conv1x1 1x7x7x960 -> 1x7x7x160\")"),
      cl::value_desc("ID,..."), cl::cat(category));
  cl::opt<unsigned> pool("pool",
                         cl::desc("Measure N random records of each kernel (and its template "
                                  "and autoschedulers) into --db, as a table for --replay"),
                         cl::init(0), cl::cat(category));
  cl::opt<unsigned> poolChunk("pool-chunk",
                              cl::desc("Records timed together beside the template (default 8)"),
                              cl::init(8), cl::cat(category));
  cl::opt<std::string> replay("replay",
                              cl::desc("Answer every candidate from this table (a --pool "
                                       "database) instead of measuring: replays a search"),
                              cl::value_desc("table.jsonl"), cl::cat(category));
  cl::opt<bool> retune("retune",
                       cl::desc("Tune only the kernels whose template changed since --db "
                                "measured them (kilnc keeps their template and says so), and "
                                "those it never measured"),
                       cl::cat(category));
  cl::opt<std::string> nativeRunner(
      "native-runner",
      cl::desc("How --device=native measures: aot (default: each candidate compiled as kilnc "
               "compiles it and run through the library's runtime, tuner/runners/"
               "library_runner.mjs) or jit (Halide's JIT, kiln-tune --runner)"),
      cl::init("aot"), cl::cat(category));
  cl::opt<bool> noAccept("no-accept",
                         cl::desc("Skip the whole-model acceptance: keep every record that won "
                                  "its kernel pair (tuner/README.md)"),
                         cl::cat(category));
  cl::list<std::string> inputShape("input-shape", cl::desc("Pin an input's shape"),
                                   cl::value_desc("name=DxDx..."), cl::cat(category));
  cl::list<std::string> inputValue("input-value",
                                   cl::desc("Fix a TF.js input's value at import (as kilnc)"),
                                   cl::value_desc("name=V,V..."), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "kiln-tune: tune a model's schedules on this device\n"
                              "  --threads=N     threads the kernels run with (default 1)\n");

  const kiln::Target *t = kiln::findTarget(target);
  if (!t)
    return fail("unknown target '" + target + "' (expected " + kiln::targetNames() + ")");
  if (device.empty())
    device = target == "wasm" ? "node" : target == "spirv" ? "vulkan" : "native";
  std::string self = sys::fs::getMainExecutable(argv[0], (void *)&fail);
  if (nativeRunner != "aot" && nativeRunner != "jit")
    return fail("--native-runner expects aot or jit, not '" + nativeRunner + "'");
  auto runnerCommand =
      kiln::tuner::runnerCommand(target, device, self, device == "native" && nativeRunner == "jit");
  if (!runnerCommand)
    return fail(toString(runnerCommand.takeError()));
  if (threads < 1)
    return fail("--threads must be at least 1");
  if (target == "wasm" && threads != 1)
    return fail("--target=wasm is tuned on 1 thread (the SIMD module; --threads=" + Twine(threads) +
                " is for --target=cpu)");
  if (trials == 0 && minutes <= 0)
    return fail("give --trials or --minutes");

  mlir::DialectRegistry registry;
  kiln::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  kiln::DriverOptions driverOptions;
  driverOptions.inputPath = input;
  driverOptions.inputShapes = inputShape;
  driverOptions.inputValues = inputValue;
  auto module = kiln::loadModel(context, driverOptions);
  if (!module)
    return fail(toString(module.takeError()));

  kiln::TargetOptions targetOptions;
  auto variants = t->variants(targetOptions);
  if (!variants)
    return fail(toString(variants.takeError()));
  const kiln::codegen::ScheduleVariant &variant = variants->front();
  std::string diagText;
  raw_string_ostream diagStream(diagText);
  SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagStream);
  kiln::PipelineOptions pipelineOptions;
  pipelineOptions.target = variant.halideTarget;
  pipelineOptions.fuseBlocks = t->fuseBlocksByDefault();
  if (failed(kiln::runPipeline(**module, kiln::Phase::Kernels, pipelineOptions)))
    return fail("compilation failed:\n" + StringRef(diagText).rtrim());
  mlir::OwningOpRef<mlir::ModuleOp> scheduled((*module)->clone());
  if (failed(kiln::runSchedulesPhase(*scheduled, variant, kiln::codegen::ScheduleMode::Template)))
    return fail("the schedules phase failed:\n" + StringRef(diagText).rtrim());
  auto tasks = kiln::tuner::extractTasks(*scheduled);
  if (!tasks)
    return fail(toString(tasks.takeError()));
  auto targetInfo = kiln::codegen::parseTargetInfo(variant.halideTarget);
  if (!targetInfo)
    return fail(toString(targetInfo.takeError()));
  kiln::codegen::TargetFingerprint fingerprint =
      kiln::codegen::hostFingerprint(variant.halideTarget, device, threads);
  if (!kernels.empty()) {
    std::vector<kiln::tuner::Task> chosen;
    for (const std::string &k : kernels) {
      auto it = llvm::find_if(*tasks, [&](const kiln::tuner::Task &task) {
        return StringRef(task.identity).starts_with(k) || task.summary == k;
      });
      if (it == tasks->end())
        return fail("--kernels: the model has no kernel '" + k + "' (see kiln-tune tasks)");
      chosen.push_back(*it);
    }
    *tasks = std::move(chosen);
  }
  if (retune) {
    // A tuned record applies only against the template it was paired with
    // (TuningDb::choose): after a template changes, its kernel is tuned
    // again and the others keep what they have.
    auto db = kiln::codegen::loadTuningDb(dbPath);
    if (!db)
      return fail(toString(db.takeError()));
    std::vector<kiln::tuner::Task> stale;
    unsigned changed = 0;
    for (const kiln::tuner::Task &task : *tasks) {
      auto choice = db->choose(task.identity, fingerprint, task.templateRecord.serialize(&context));
      using Choice = kiln::codegen::TuningDb::Choice;
      if (choice.kind == Choice::TemplateChanged || choice.kind == Choice::None)
        stale.push_back(task);
      changed += choice.kind == Choice::TemplateChanged;
    }
    errs() << "kiln-tune: --retune: " << stale.size() << " of " << tasks->size()
           << " kernels to tune (" << changed << " whose template changed since tuning, "
           << stale.size() - changed << " never measured)\n";
    if (stale.empty())
      return 0;
    *tasks = std::move(stale);
  }
  if (listTasks) {
    outs() << "# " << tasks->size() << " tasks of " << sys::path::filename(input) << " on "
           << fingerprint.str() << ": identity, calls, summary, template record\n";
    for (const kiln::tuner::Task &task : *tasks)
      outs() << task.identity << " " << task.calls << " " << task.summary << " "
             << task.templateRecord.serialize(&context) << "\n";
    return 0;
  }
  if (dbPath == "-")
    return fail("--db is required");

  kiln::tuner::TuneOptions options;
  options.dbPath = dbPath;
  options.trials = trials;
  options.minutes = minutes;
  options.seed = seed;
  options.threads = threads;
  options.search = search;
  options.autoschedulerSeeds = !noAuto;
  options.workers = std::max(1u, unsigned(workers));
  options.runnerExecutable = self;
  options.runnerCommand = *runnerCommand;
  SmallString<128> workDir;
  if (std::error_code ec = sys::fs::createUniqueDirectory("kiln-tune", workDir))
    return fail("cannot create a work directory: " + ec.message());
  options.workDir = workDir.str().str();
  options.progress = &errs();
  if (pool) {
    if (!replay.empty())
      return fail("--pool measures a table and --replay reads one: give one of them");
    if (Error err = kiln::tuner::measurePool(*tasks, fingerprint, *targetInfo, options, pool,
                                             poolChunk, &context))
      return fail(toString(std::move(err)));
    sys::fs::remove_directories(options.workDir);
    outs() << "kiln-tune: pool of " << pool << " records per kernel in " << dbPath << "\n";
    return 0;
  }
  std::optional<kiln::codegen::TuningDb> table;
  if (!replay.empty()) {
    if (!sys::fs::exists(replay))
      return fail("--replay: no such file '" + replay + "'");
    auto loaded = kiln::codegen::loadTuningDb(replay);
    if (!loaded)
      return fail(toString(loaded.takeError()));
    table = std::move(*loaded);
    for (const std::string &w : table->warnings)
      errs() << "kiln-tune: warning: " << w << "\n";
    // A task the table knows nothing of could only fail: say so now.
    for (const kiln::tuner::Task &task : *tasks)
      if (llvm::none_of(table->records, [&](const kiln::codegen::TuningRecord &r) {
            return r.kernel == task.identity;
          }))
        return fail("--replay: '" + replay + "' has no records for kernel " + task.identity + " (" +
                    task.summary + "); choose the table's kernels with --kernels");
    options.replay = &*table;
  }
  unsigned calls = 0;
  for (const auto &task : *tasks)
    calls += task.calls;
  errs() << "kiln-tune: " << tasks->size() << " distinct kernels (" << calls << " calls) of "
         << sys::path::filename(input) << " on " << fingerprint.str() << ", " << search
         << " search, seed " << seed << "\n";

  auto report = kiln::tuner::tune(*tasks, fingerprint, *targetInfo, options, &context);
  if (!report)
    return fail(toString(report.takeError()));

  outs() << "\n"
         << left_justify("task", 4) << " " << left_justify("kernel", 44)
         << " calls   template  best auto      tuned  speedup  trials\n";
  double templateSum = 0, tunedSum = 0;
  for (size_t i = 0; i < tasks->size(); ++i) {
    const kiln::tuner::Task &task = (*tasks)[i];
    const kiln::tuner::TaskResult &r = report->tasks[i];
    templateSum += task.calls * r.templateMs;
    tunedSum += task.calls * r.bestMs;
    outs() << format("%-4zu %-44s %5u %10.4f %10s %10.4f %7.2fx %7u\n", i, task.summary.c_str(),
                     task.calls, r.templateMs,
                     r.bestAutoMs > 0 ? formatv("{0:F4}", r.bestAutoMs).str().c_str() : "-",
                     r.bestMs, r.bestMs > 0 ? r.templateMs / r.bestMs : 0.0, r.trials);
  }
  outs() << format("sum of calls x kernel time: template %.3f ms, tuned %.3f ms (%.2fx); "
                   "%.0f s of tuning\n",
                   templateSum, tunedSum, tunedSum > 0 ? templateSum / tunedSum : 0.0,
                   report->seconds);

  auto writeCurveData = [&] {
    if (curveData.empty())
      return;
    // The numbers behind the curve, for comparing tunes in one picture
    // (benchmarks/tuner/compare_search.mjs, replay.mjs).
    if (Error err = writeToOutput(curveData, [&](raw_ostream &os) {
          os << "# trials\tseconds\tmodel_ms (" << search << " search, seed " << seed << ")\n";
          for (const kiln::tuner::TuneReport::Point &p : report->curve)
            os << format("%u\t%.3f\t%.6f\n", p.trials, p.seconds, p.modelMs);
          return Error::success();
        }))
      errs() << "kiln-tune: warning: " << toString(std::move(err)) << "\n";
  };
  if (options.replay) {
    // Nothing ran: the curve is the replay's result.
    sys::fs::remove_directories(options.workDir);
    writeCurveData();
    outs() << "replay of " << replay << ": no end-to-end measurement\n";
    return 0;
  }
  // The whole-model acceptance (tuner/Accept.h): the model as kilnc
  // --tuning-db builds it, with this tune's winning records and without
  // them, timed in alternating pairs in one runner; records that do not
  // pay end to end are written to the database as rejected.
  const char *clockName = std::getenv("KILN_TUNE_CLOCK");
  std::string how = (device == "native" ? std::string(nativeRunner == "jit" ? "JIT" : "AOT")
                                        : std::string(device)) +
                    ", " + std::to_string(threads) + (threads == 1 ? " thread" : " threads") +
                    (clockName && StringRef(clockName) == "cpu" ? ", CPU time" : "");
  kiln::tuner::AcceptanceInput acceptance;
  acceptance.dbPath = dbPath;
  acceptance.tasks = &*tasks;
  acceptance.report = &*report;
  acceptance.fingerprint = fingerprint;
  acceptance.model = **module;
  acceptance.variant = &variant;
  acceptance.device = device;
  acceptance.threads = threads;
  acceptance.how = how;
  acceptance.noAccept = noAccept;
  auto status = kiln::tuner::runAcceptance(acceptance, options, &context, outs());
  if (!status)
    return fail(toString(status.takeError()));

  if (!curve.empty()) {
    std::string svg = kiln::tuner::curveSvg(
        *report, templateSum,
        (sys::path::filename(input) + " on " + fingerprint.str() + ", " + search).str());
    if (Error err = kiln::tuner::writePng(svg, curve))
      errs() << "kiln-tune: warning: " << toString(std::move(err)) << "\n";
    else
      outs() << "tuning curve: " << curve << "\n";
  }
  writeCurveData();
  unsigned failed = 0;
  for (const kiln::tuner::TaskResult &r : report->tasks)
    failed += r.failed;
  if (failed)
    outs() << failed << " candidates failed (wrong, crash, timeout or compile error: see the "
           << "database); the runners' logs are kept in " << options.workDir << "\n";
  else
    sys::fs::remove_directories(options.workDir);
  return *status == "ok" ? 0 : 1;
}
