//===- Session.cpp - a model's tune, as kiln-tune runs it -----------------===//
//
// The tasks come from the same phases kilnc runs (runPipeline to kernels,
// runSchedulesPhase with templates), so that a task's identity and its
// template are the ones kilnc --tuning-db looks up.
//
//===----------------------------------------------------------------------===//
#include "tuner/Session.h"

#include "compiler/pipeline/Pipeline.h"
#include "compiler/support/Error.h"
#include "tuner/DbReport.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace llvm;

namespace kiln::tuner {

Expected<ModelTasks> loadModelTasks(mlir::MLIRContext &context, const DriverOptions &driverOptions,
                                    const Target &target, StringRef device, int threads) {
  ModelTasks out;
  auto module = kiln::loadModel(context, driverOptions);
  if (!module)
    return module.takeError();
  out.model = std::move(*module);

  kiln::TargetOptions targetOptions;
  // WASM on more than one thread tunes the threaded module (its own
  // variant, kWasmThreadsHalideTarget), measured on a pool of workers.
  bool wasmThreads = target.name() == "wasm" && threads > 1;
  targetOptions.wasmThreads = wasmThreads;
  targetOptions.wasmThreadsSchedules = wasmThreads;
  auto variants = target.variants(targetOptions);
  if (!variants)
    return variants.takeError();
  auto variant = wasmThreads
                     ? llvm::find_if(*variants, [](const auto &v) { return v.name == "threads"; })
                     : variants->begin();
  if (variant == variants->end())
    return makeError("internal: the wasm target gave no 'threads' variant");
  out.variant = *variant;
  out.diagnostics = std::make_unique<ModelTasks::Diagnostics>();
  ModelTasks::Diagnostics &diag = *out.diagnostics;
  diag.handler =
      std::make_unique<mlir::SourceMgrDiagnosticHandler>(diag.sourceMgr, &context, diag.stream);
  kiln::PipelineOptions pipelineOptions;
  pipelineOptions.target = variants->front().halideTarget;
  pipelineOptions.fuseBlocks = target.fuseBlocksByDefault();
  if (failed(kiln::runPipeline(*out.model, kiln::Phase::Kernels, pipelineOptions)))
    return makeError("compilation failed:\n" + StringRef(diag.text).rtrim());
  mlir::OwningOpRef<mlir::ModuleOp> scheduled(out.model->clone());
  if (failed(
          kiln::runSchedulesPhase(*scheduled, out.variant, kiln::codegen::ScheduleMode::Template)))
    return makeError("the schedules phase failed:\n" + StringRef(diag.text).rtrim());
  auto tasks = extractTasks(*scheduled);
  if (!tasks)
    return tasks.takeError();
  out.tasks = std::move(*tasks);
  auto targetInfo = kiln::codegen::parseTargetInfo(out.variant.halideTarget);
  if (!targetInfo)
    return targetInfo.takeError();
  out.targetInfo = *targetInfo;
  out.fingerprint = kiln::codegen::hostFingerprint(out.variant.halideTarget, device, threads);
  return std::move(out);
}

Error selectKernels(std::vector<Task> &tasks, ArrayRef<std::string> kernels) {
  if (kernels.empty())
    return Error::success();
  std::vector<Task> chosen;
  for (const std::string &k : kernels) {
    auto it = llvm::find_if(tasks, [&](const Task &task) {
      return StringRef(task.identity).starts_with(k) || task.summary == k;
    });
    if (it == tasks.end())
      return makeError("--kernels: the model has no kernel '" + k + "' (see kiln-tune tasks)");
    chosen.push_back(*it);
  }
  tasks = std::move(chosen);
  return Error::success();
}

Error keepStaleTasks(std::vector<Task> &tasks, StringRef dbPath,
                     const codegen::TargetFingerprint &fingerprint, mlir::MLIRContext *context,
                     raw_ostream &progress) {
  // A tuned record applies only against the template it was paired with
  // (TuningDb::choose): after a template changes, its kernel is tuned
  // again and the others keep what they have.
  auto db = kiln::codegen::loadTuningDb(dbPath);
  if (!db)
    return db.takeError();
  std::vector<Task> stale;
  unsigned changed = 0;
  for (const Task &task : tasks) {
    auto choice = db->choose(task.identity, fingerprint, task.templateRecord.serialize(context));
    using Choice = kiln::codegen::TuningDb::Choice;
    if (choice.kind == Choice::TemplateChanged || choice.kind == Choice::None)
      stale.push_back(task);
    changed += choice.kind == Choice::TemplateChanged;
  }
  progress << "kiln-tune: --retune: " << stale.size() << " of " << tasks.size()
           << " kernels to tune (" << changed << " whose template changed since tuning, "
           << stale.size() - changed << " never measured)\n";
  tasks = std::move(stale);
  return Error::success();
}

void printTasks(const ModelTasks &model, StringRef modelName, mlir::MLIRContext *context,
                raw_ostream &out) {
  out << "# " << model.tasks.size() << " tasks of " << modelName << " on "
      << model.fingerprint.str() << ": identity, calls, summary, template record\n";
  for (const Task &task : model.tasks)
    out << task.identity << " " << task.calls << " " << task.summary << " "
        << task.templateRecord.serialize(context) << "\n";
}

Expected<codegen::TuningDb> loadReplayTable(StringRef path, const std::vector<Task> &tasks,
                                            raw_ostream &diag) {
  auto table = readTuningDb(path, diag, "--replay: ");
  if (!table)
    return table.takeError();
  // A task the table knows nothing of could only fail: say so now.
  for (const Task &task : tasks)
    if (llvm::none_of(table->records, [&](const kiln::codegen::TuningRecord &r) {
          return r.kernel == task.identity;
        }))
      return makeError("--replay: '" + path + "' has no records for kernel " + task.identity +
                       " (" + task.summary + "); choose the table's kernels with --kernels");
  return table;
}

double printTuneTable(const std::vector<Task> &tasks, const TuneReport &report, raw_ostream &out) {
  out << "\n"
      << left_justify("task", 4) << " " << left_justify("kernel", 44)
      << " calls   template  best auto      tuned  speedup  trials\n";
  double templateSum = 0, tunedSum = 0;
  for (size_t i = 0; i < tasks.size(); ++i) {
    const Task &task = tasks[i];
    const TaskResult &r = report.tasks[i];
    templateSum += task.calls * r.templateMs;
    tunedSum += task.calls * r.bestMs;
    out << format("%-4zu %-44s %5u %10.4f %10s %10.4f %7.2fx %7u\n", i, task.summary.c_str(),
                  task.calls, r.templateMs,
                  r.bestAutoMs > 0 ? formatv("{0:F4}", r.bestAutoMs).str().c_str() : "-", r.bestMs,
                  r.bestMs > 0 ? r.templateMs / r.bestMs : 0.0, r.trials);
  }
  out << format("sum of calls x kernel time: template %.3f ms, tuned %.3f ms (%.2fx); "
                "%.0f s of tuning\n",
                templateSum, tunedSum, tunedSum > 0 ? templateSum / tunedSum : 0.0, report.seconds);
  // What the database already held (an earlier run of this tune, or
  // another model's tune of a kernel this one shares) counts as a trial but
  // is not measured again: a kernel shared by models is tuned once.
  unsigned trials = 0, known = 0;
  for (const TaskResult &r : report.tasks) {
    trials += r.trials;
    known += r.trials - r.measured;
  }
  if (known)
    out << "kiln-tune: " << known << " of " << trials
        << " candidates were in the database already (this tune's or another model's, for the "
           "same kernel and target): not measured again\n";
  return templateSum;
}

Error writeCurveData(StringRef path, const TuneReport &report, StringRef search, unsigned seed) {
  return writeToOutput(path, [&](raw_ostream &os) {
    os << "# trials\tseconds\tmodel_ms (" << search << " search, seed " << seed << ")\n";
    for (const TuneReport::Point &p : report.curve)
      os << format("%u\t%.3f\t%.6f\n", p.trials, p.seconds, p.modelMs);
    return Error::success();
  });
}

} // namespace kiln::tuner
