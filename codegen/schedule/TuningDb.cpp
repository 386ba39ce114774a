//===- TuningDb.cpp - measured schedule records, as a file people commit --===//
#include "codegen/schedule/TuningDb.h"

#include "codegen/schedule/KernelInfo.h"
#include "compiler/support/Error.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA1.h"
#include "llvm/TargetParser/AArch64TargetParser.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <fcntl.h>
#include <functional>
#include <map>
#include <set>
#include <unistd.h>

using namespace mlir;

namespace kiln::codegen {

std::string TargetFingerprint::cpuText() const {
  return features.empty() ? cpu : cpu + "(" + llvm::join(features, ",") + ")";
}

std::string TargetFingerprint::str() const {
  return halideTarget + "/" + cpuText() + "/" + device + "/" + std::to_string(threads) + "t";
}

// Halide 14's get_host_target() rules (its Target.cpp, x86): sse41, avx,
// f16c and fma from CPUID leaf 1; avx2 and the avx512 family only with
// avx, f16c and rdrand, each avx512 level from the bits it names. Fed
// LLVM's names for the same CPUID bits, so that the host's list
// (getHostCPUFeatures) and a named CPU's (LLVM's CPU table) come out alike.
// Halide's resolved target, not LLVM's whole list: these are what change
// the code kilnc generates for "host"; LLVM's list also holds bits no
// kernel uses (rdpid, clzero...) that a hypervisor shows or hides at will.
static std::vector<std::string> halideFeatures(const llvm::StringMap<bool> &llvmFeatures) {
  auto has = [&](llvm::StringRef f) { return llvmFeatures.lookup(f); };
  auto all = [&](std::initializer_list<llvm::StringRef> fs) { return llvm::all_of(fs, has); };
  std::vector<std::string> out;
  auto add = [&](bool on, const char *name) {
    if (on)
      out.push_back(name);
  };
  add(has("sse4.1"), "sse41");
  add(has("avx"), "avx");
  add(has("f16c"), "f16c");
  add(has("fma"), "fma");
  if (all({"avx", "f16c", "rdrnd"})) {
    add(has("avx2"), "avx2");
    if (all({"avx512f", "avx512cd"})) {
      out.push_back("avx512");
      add(all({"avx512pf", "avx512er"}), "avx512_knl");
      bool skylake = all({"avx512vl", "avx512bw", "avx512dq"});
      add(skylake, "avx512_skylake");
      bool cannonlake = skylake && has("avx512ifma");
      add(cannonlake, "avx512_cannonlake");
      add(cannonlake && all({"avx512vnni", "avx512bf16"}), "avx512_sapphirerapids");
    }
  }
  llvm::sort(out);
  return out;
}

std::vector<std::string> hostCpuFeatures() {
#if defined(__x86_64__)
  return halideFeatures(llvm::sys::getHostCPUFeatures());
#else
  return {};
#endif
}

std::optional<std::vector<std::string>> cpuFeaturesOf(llvm::StringRef cpu) {
  if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) != llvm::X86::CK_None) {
    llvm::SmallVector<llvm::StringRef> names;
    llvm::X86::getFeaturesForCPU(cpu, names);
    // The table lists a CPU's own features; the ones they imply (avx2
    // implies avx, sse4.1...) come from updateImpliedFeatures, which sets
    // those but not the feature itself.
    llvm::StringMap<bool> features;
    for (llvm::StringRef name : names) {
      features[name] = true;
      llvm::X86::updateImpliedFeatures(name, true, features);
    }
    return halideFeatures(features);
  }
  if (llvm::AArch64::parseCpu(cpu))
    return std::vector<std::string>{}; // hostCpuFeatures off x86-64
  return std::nullopt;
}

TargetFingerprint hostFingerprint(llvm::StringRef halideTarget, llvm::StringRef device,
                                  int threads) {
  TargetFingerprint fp{halideTarget.str(), llvm::sys::getHostCPUName().str(), device.str(),
                       threads};
  fp.features = hostCpuFeatures();
  return fp;
}

static constexpr std::pair<MeasureStatus, llvm::StringLiteral> kStatuses[] = {
    {MeasureStatus::Ok, "ok"},
    {MeasureStatus::Wrong, "wrong"},
    {MeasureStatus::Crash, "crash"},
    {MeasureStatus::Timeout, "timeout"},
    {MeasureStatus::CompileError, "compile-error"},
};

llvm::StringRef measureStatusName(MeasureStatus status) {
  for (auto &[s, name] : kStatuses)
    if (s == status)
      return name;
  return "?";
}

std::string TuningRecord::toJsonLine() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os);
  json.object([&] {
    json.attribute("schema", schema);
    json.attribute("kernel", kernel);
    json.attribute("summary", summary);
    // A schema 1 record (read from an older file) keeps its line: its
    // features were derived on reading, and its hash names it in
    // provenance.
    json.attributeObject("target", [&] {
      json.attribute("halide", target.halideTarget);
      json.attribute("cpu", target.cpu);
      if (schema >= 2)
        json.attributeArray("features", [&] {
          for (const std::string &f : target.features)
            json.value(f);
        });
      json.attribute("device", target.device);
      if (schema >= 2)
        json.attribute("device_version", target.deviceVersion);
      json.attribute("threads", target.threads);
    });
    json.attribute("schedule", schedule);
    // Six significant digits: the timer's resolution, and lines that read.
    auto number = [&](llvm::StringRef key, double v) {
      json.attributeBegin(key);
      json.rawValue(llvm::formatv("{0}", llvm::format("%.6g", v)).str());
      json.attributeEnd();
    };
    number("median_ms", medianMs);
    number("min_ms", minMs);
    number("spread", spread);
    json.attribute("status", measureStatusName(status));
    json.attribute("kiln", kilnVersion);
    json.attribute("time", time);
    if (paired)
      json.attribute("paired", true);
    if (baseline)
      json.attribute("baseline", true);
    if (rejected)
      json.attribute("rejected", true);
    if (accepted)
      json.attribute("accepted", true);
  });
  return text;
}

std::string TuningRecord::hash() const {
  llvm::SHA1 sha;
  sha.update(toJsonLine());
  return llvm::toHex(sha.final(), /*LowerCase=*/true).substr(0, 12);
}

// One line into a record; an error says which field is wrong.
static llvm::Expected<TuningRecord> parseLine(llvm::StringRef line) {
  auto value = llvm::json::parse(line);
  if (!value)
    return value.takeError();
  const llvm::json::Object *o = value->getAsObject();
  if (!o)
    return makeError("not a JSON object");
  TuningRecord r;
  std::optional<int64_t> schema = o->getInteger("schema");
  if (!schema)
    return makeError("no schema version");
  // Clamped, not narrowed: 2^32 + 1 must not read as schema 1.
  r.schema = int(std::clamp<int64_t>(*schema, INT_MIN, INT_MAX));
  if (r.schema < kTuningSchemaOldest || r.schema > kTuningSchema)
    return r; // the caller explains; the other fields may differ
  auto str = [&](const llvm::json::Object &obj, llvm::StringRef key,
                 std::string &into) -> llvm::Error {
    std::optional<llvm::StringRef> v = obj.getString(key);
    if (!v)
      return makeError("expected a string for " + key);
    into = v->str();
    return llvm::Error::success();
  };
  auto num = [&](llvm::StringRef key, double &into) -> llvm::Error {
    // 1e999 parses as infinity, which toJsonLine would write as "inf", not
    // JSON (found with fuzz/'s tuning-db target).
    std::optional<double> v = o->getNumber(key);
    if (!v || !std::isfinite(*v))
      return makeError("expected a finite number for " + key);
    into = *v;
    return llvm::Error::success();
  };
  const llvm::json::Object *target = o->getObject("target");
  if (!target)
    return makeError("expected an object for target");
  std::optional<int64_t> threads = target->getInteger("threads");
  if (!threads || *threads < 1 || *threads > INT_MAX)
    return makeError("expected a positive integer for target.threads");
  r.target.threads = int(*threads);
  std::string status;
  // In field order, stopping at the first that is wrong.
  std::function<llvm::Error()> fields[] = {
      [&] { return str(*o, "kernel", r.kernel); },
      [&] { return str(*o, "summary", r.summary); },
      [&] { return str(*target, "halide", r.target.halideTarget); },
      [&] { return str(*target, "cpu", r.target.cpu); },
      [&] { return str(*target, "device", r.target.device); },
      [&] { return str(*o, "schedule", r.schedule); },
      [&] { return num("median_ms", r.medianMs); },
      [&] { return num("min_ms", r.minMs); },
      [&] { return num("spread", r.spread); },
      [&] { return str(*o, "status", status); },
      [&] { return str(*o, "kiln", r.kilnVersion); },
      [&] { return str(*o, "time", r.time); },
  };
  for (auto &field : fields)
    if (llvm::Error err = field())
      return std::move(err);
  if (r.schema >= 2) {
    // Sorted and distinct, as written: the list is matched as it stands.
    const llvm::json::Array *features = target->getArray("features");
    if (!features)
      return makeError("expected a list of strings for target.features");
    for (const llvm::json::Value &f : *features) {
      std::optional<llvm::StringRef> name = f.getAsString();
      if (!name || name->empty())
        return makeError("expected a list of strings for target.features");
      if (!r.target.features.empty() && !(r.target.features.back() < *name))
        return makeError("target.features must be sorted, each once");
      r.target.features.push_back(name->str());
    }
    if (llvm::Error err = str(*target, "device_version", r.target.deviceVersion))
      return std::move(err);
  }
  bool known = false;
  for (auto &[s, name] : kStatuses)
    if (name == status) {
      r.status = s;
      known = true;
    }
  if (!known)
    return makeError("unknown status '" + status + "'");
  if (r.status == MeasureStatus::Ok && !(r.medianMs > 0))
    return makeError("an ok record needs a positive median_ms");
  // The optional flags, each written only when set.
  for (auto [name, field] : {std::pair{"paired", &r.paired},
                             {"baseline", &r.baseline},
                             {"rejected", &r.rejected},
                             {"accepted", &r.accepted}})
    if (const llvm::json::Value *flag = o->get(name)) {
      if (!flag->getAsBoolean())
        return makeError("expected true or false for " + llvm::Twine(name));
      *field = *flag->getAsBoolean();
    }
  if (r.rejected && r.accepted)
    return makeError("both rejected and accepted: a verdict is one or the other");
  return r;
}

llvm::Expected<TuningDb> loadTuningDb(llvm::StringRef path) {
  TuningDb db;
  db.path = path.str();
  if (!llvm::sys::fs::exists(path))
    return db;
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError("cannot read tuning database '" + path + "': " + buffer.getError().message());
  llvm::StringRef text = (*buffer)->getBuffer();
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  std::string name = llvm::sys::path::filename(path).str();
  for (auto [i, line] : llvm::enumerate(lines)) {
    std::string where = name + ":" + std::to_string(i + 1) + ": ";
    bool last = i + 1 == lines.size();
    if (line.trim().empty())
      continue;
    if (last) {
      // No newline after it: a write that was cut off.
      db.warnings.push_back(where + "incomplete last line (an interrupted write); skipped");
      continue;
    }
    auto record = parseLine(line);
    if (!record) {
      db.warnings.push_back(where + "malformed record (" + llvm::toString(record.takeError()) +
                            "); skipped");
      continue;
    }
    if (record->schema < kTuningSchemaOldest || record->schema > kTuningSchema) {
      db.warnings.push_back(where + "schema " + std::to_string(record->schema) +
                            " is not one this build reads (" + std::to_string(kTuningSchemaOldest) +
                            " to " + std::to_string(kTuningSchema) + "); ignored");
      continue;
    }
    if (record->schema < 2) {
      // Schema 1 matched on the cpu name alone: the features it stood for
      // are the ones LLVM's CPU table gives that name.
      auto features = cpuFeaturesOf(record->target.cpu);
      if (!features) {
        db.warnings.push_back(where + "schema 1 record for cpu '" + record->target.cpu +
                              "', whose features LLVM's CPU table does not give (schema 2 "
                              "matches them); ignored: tune again on that machine");
        continue;
      }
      record->target.features = std::move(*features);
    }
    db.records.push_back(std::move(*record));
  }
  return db;
}

// Without the model (kiln-tune show DB), today's template is unknown; the
// last one the database measured stands for it, so that show decides as
// kilnc would if the templates have not changed since.
std::string TuningDb::lastBaseline(llvm::StringRef kernel, const TargetFingerprint &target) const {
  const TuningRecord *first = nullptr, *latest = nullptr;
  for (const TuningRecord &r : records) {
    if (r.kernel != kernel || !(r.target == target))
      continue;
    if (!first)
      first = &r;
    if (r.baseline && (!latest || r.time >= latest->time))
      latest = &r;
  }
  return latest ? latest->schedule : first ? first->schedule : std::string();
}

// Templates change after a tune (a better template lands, or a worse
// one), and a record that beat the template it was timed beside says
// nothing about today's: the shipped MobileNetV2 databases made the model
// 0.95-0.98x of its templates once the templates had improved (issue 20).
// So only a pair whose baseline is today's template can put a record in
// its place.
TuningDb::Choice TuningDb::choose(llvm::StringRef kernel, const TargetFingerprint &target,
                                  llvm::StringRef currentTemplate) const {
  Choice choice;
  bool known = false;                                             // any record of the kernel here
  const TuningRecord *templateRun = nullptr;                      // today's template, measured
  std::map<std::string, std::vector<const TuningRecord *>> pairs; // by time
  for (const TuningRecord &r : records) {
    if (r.kernel != kernel || !(r.target == target))
      continue;
    known = true;
    if (r.schedule == currentTemplate && (!templateRun || r.status == MeasureStatus::Ok))
      templateRun = &r;
    if (r.paired && r.status == MeasureStatus::Ok)
      pairs[r.time].push_back(&r);
  }
  // The latest pair against today's template decides (ISO times sort).
  for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
    const TuningRecord *base = nullptr, *other = nullptr;
    for (const TuningRecord *r : it->second)
      if (r->baseline)
        base = r;
    if (!base) // a pair written before the flag
      for (const TuningRecord *r : it->second)
        if (r->schedule == currentTemplate)
          base = r;
    if (!base || base->schedule != currentTemplate)
      continue;
    for (const TuningRecord *r : it->second)
      if (r != base && r->schedule != base->schedule && (!other || r->medianMs < other->medianMs))
        other = r;
    // The whole-model acceptance may have rejected the winner since.
    if (other && llvm::any_of(records, [&](const TuningRecord &r) {
          return r.rejected && r.kernel == kernel && r.target == target &&
                 r.schedule == other->schedule && r.time >= other->time;
        })) {
      choice.rejected = other;
      other = nullptr;
    }
    if (other && other->medianMs < kPairWinRatio * base->medianMs) {
      choice.kind = Choice::Tuned;
      choice.record = other;
    } else {
      choice.kind = Choice::TemplateKept;
      choice.record = base;
    }
    return choice;
  }
  if (templateRun && templateRun->status == MeasureStatus::Ok) {
    choice.kind = Choice::TemplateKept;
    choice.record = templateRun;
  } else if (known && !templateRun) {
    choice.kind = Choice::TemplateChanged;
  }
  // Today's template measured only as a failure (a timeout at a load of
  // 30, say): as if never tuned, so that --retune measures it again.
  return choice;
}

llvm::Error appendRecord(llvm::StringRef path, const TuningRecord &record) {
  std::string line = record.toJsonLine() + "\n";
  int fd = ::open(path.str().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return makeError("cannot open tuning database '" + path + "': " + std::strerror(errno));
  auto fail = [&](const char *what) {
    std::string message = "cannot " + std::string(what) + " tuning database '" + path.str() +
                          "': " + std::strerror(errno);
    ::close(fd);
    return makeError(message);
  };
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0)
    return fail("seek in");
  if (size > 0) {
    // Cut a torn last line (a writer killed mid-write) back to the last
    // newline, so the new record starts a line of its own.
    char lastByte = 0;
    if (::pread(fd, &lastByte, 1, size - 1) != 1)
      return fail("read");
    if (lastByte != '\n') {
      off_t keep = size;
      char c = 0;
      while (keep > 0 && ::pread(fd, &c, 1, keep - 1) == 1 && c != '\n')
        --keep;
      if (::ftruncate(fd, keep) != 0)
        return fail("repair");
    }
  }
  if (::lseek(fd, 0, SEEK_END) < 0)
    return fail("seek in");
  // One write per record: a reader never sees half of one unless the
  // process dies inside this call, and then the line has no newline.
  ssize_t written = ::write(fd, line.data(), line.size());
  if (written != ssize_t(line.size()))
    return fail("write");
  if (::fsync(fd) != 0)
    return fail("flush");
  ::close(fd);
  return llvm::Error::success();
}

llvm::Error mergeTuningDbs(llvm::ArrayRef<TuningDb> inputs, llvm::StringRef out) {
  llvm::StringSet<> seen;
  std::string text;
  for (const TuningDb &db : inputs)
    for (const TuningRecord &r : db.records) {
      std::string line = r.toJsonLine();
      if (seen.insert(line).second)
        text += line + "\n";
    }
  return llvm::writeToOutput(out, [&](llvm::raw_ostream &os) {
    os << text;
    return llvm::Error::success();
  });
}

std::string kernelSummary(KernelOp kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << patternName(classifyKernel(kernel));
  auto shape = [&](Type type) {
    if (auto shaped = dyn_cast<ShapedType>(type))
      llvm::interleave(shaped.getShape(), os, "x");
  };
  if (!kernel.getInputs().empty()) {
    os << " ";
    shape(kernel.getInputs()[0].getType());
  }
  if (kernel.getNumResults()) {
    os << " -> ";
    shape(kernel.getResult(0).getType());
  }
  return text;
}

TuningUse applyTuningDb(ModuleOp module, const TuningDb &db, const TargetFingerprint &target) {
  TuningUse use;
  llvm::StringSet<> present;
  // Today's template for each kernel, as the schedules phase would choose
  // it for this target (AssignSchedules): what a tuned record must have
  // beaten.
  auto targetInfo = parseTargetInfo(target.halideTarget);
  if (!targetInfo) {
    use.notes.push_back("target '" + target.halideTarget +
                        "': " + llvm::toString(targetInfo.takeError()) + "; no record applied");
    return use;
  }
  module.walk([&](KernelOp kernel) {
    ++use.kernels;
    std::string identity = kernelIdentity(kernel);
    present.insert(identity);
    ScheduleRecord current = chooseTemplate(kernel, *targetInfo);
    current.mode = ScheduleMode::Template;
    TuningDb::Choice choice = db.choose(identity, target, current.serialize(module.getContext()));
    use.choices[identity] = choice;
    if (choice.kind == TuningDb::Choice::TemplateChanged)
      ++use.templateChanged;
    if (!choice.record)
      return;
    const TuningRecord *best = choice.record;
    auto record = ScheduleRecord::parse(best->schedule, module.getContext());
    if (!record) {
      use.notes.push_back("record " + best->hash() + " for kernel '" +
                          kernel.getKernelName().str() +
                          "': " + llvm::toString(record.takeError()) + "; ignored");
      use.choices[identity] = {}; // the template after all
      return;
    }
    if (record->pattern != classifyKernel(kernel)) {
      use.notes.push_back("record " + best->hash() + " for kernel '" +
                          kernel.getKernelName().str() + "' was tuned as " +
                          patternName(record->pattern).str() + ", the kernel is " +
                          patternName(classifyKernel(kernel)).str() + "; ignored");
      use.choices[identity] = {};
      return;
    }
    auto attr = record->toAttr(module.getContext());
    if (!attr) {
      llvm::consumeError(attr.takeError());
      use.choices[identity] = {};
      return;
    }
    kernel->setAttr(kScheduleAttrName, *attr);
    // What the record was measured on, when its runner said: shown, not
    // matched (TargetFingerprint::deviceVersion).
    std::string source = "tuned " + best->hash() + " " + best->time;
    if (!best->target.deviceVersion.empty())
      source += " on " + best->target.device + " " + best->target.deviceVersion;
    // A record whose other knobs do nothing on this kernel says so.
    if (streamsOnePixel(kernel, *targetInfo, *record))
      source += kStreamsOnePixelNote;
    kernel->setAttr(kScheduleSourceAttrName, StringAttr::get(module.getContext(), source));
    ++use.fromDb;
    ++(choice.kind == TuningDb::Choice::Tuned ? use.tuned : use.templateKept);
  });
  if (use.fromDb)
    use.notes.push_back(std::to_string(use.tuned) +
                        " kernels take a record that beat their template side by side, " +
                        std::to_string(use.templateKept) + " the template their tune kept");
  if (use.templateChanged)
    use.notes.push_back(std::to_string(use.templateChanged) +
                        " kernels: template changed since tuning, re-tune (kiln-tune --retune); "
                        "they keep today's template");
  std::set<std::vector<std::string>> otherFeatureSets;
  for (const TuningRecord &r : db.records) {
    if (!(r.target == target)) {
      ++use.otherTarget;
      TargetFingerprint sameFeatures = r.target;
      sameFeatures.features = target.features;
      if (sameFeatures == target) {
        ++use.otherFeatures;
        otherFeatureSets.insert(r.target.features);
      }
    } else if (!present.contains(r.kernel)) {
      ++use.unknownKernel;
    }
  }
  if (use.otherTarget)
    use.notes.push_back(std::to_string(use.otherTarget) + " records are for other targets than " +
                        target.str() + "; ignored");
  if (use.otherFeatures) {
    std::vector<std::string> sets;
    for (const std::vector<std::string> &f : otherFeatureSets)
      sets.push_back("(" + llvm::join(f, ",") + ")");
    use.notes.push_back("of them, " + std::to_string(use.otherFeatures) +
                        " were measured on this cpu with other CPU features " +
                        llvm::join(sets, " ") + " than this machine's (" +
                        llvm::join(target.features, ",") +
                        "): code built for one feature set says nothing about another");
  }
  if (use.unknownKernel)
    use.notes.push_back(std::to_string(use.unknownKernel) +
                        " records are for kernels this model does not have; ignored");
  return use;
}

} // namespace kiln::codegen
