//===- TunerTest.cpp - the tuning database, search spaces and runners -----===//
#include "codegen/schedule/KernelInfo.h"
#include "codegen/schedule/Passes.h"
#include "codegen/schedule/TuningDb.h"
#include "compiler/pipeline/Pipeline.h"
#include "mlir/Parser/Parser.h"
#include "tuner/Accept.h"
#include "tuner/CostModel.h"
#include "tuner/DbReport.h"
#include "tuner/Devices.h"
#include "tuner/Runner.h"
#include "tuner/SearchSpace.h"
#include "tuner/Task.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <random>

using namespace kiln;
using namespace kiln::codegen;

namespace {

class TunerTest : public ::testing::Test {
protected:
  void SetUp() override {
    mlir::DialectRegistry registry;
    registerDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("kiln-tuner-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
  // build/bin/kiln-tune, beside this test's build/test/unit/.
  static std::string kilnTunePath() {
    std::string self = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
    llvm::SmallString<256> exe(llvm::sys::path::parent_path(self));
    llvm::sys::path::append(exe, "..", "..", "bin", "kiln-tune");
    return exe.str().str();
  }
  std::string read(llvm::StringRef file) {
    auto buffer = llvm::MemoryBuffer::getFile(file);
    return buffer ? (*buffer)->getBuffer().str() : "";
  }
  /// The fingerprint of record()'s records.
  static TargetFingerprint testTarget() {
    return {"host", "testcpu", "native", 1, {"avx", "sse41"}, "test 1.0"};
  }
  TuningRecord record(llvm::StringRef kernel, double ms, MeasureStatus status = MeasureStatus::Ok) {
    ScheduleRecord s;
    s.vectorWidth = 4;
    s.channelTile = 8;
    TuningRecord r;
    r.kernel = kernel.str();
    r.summary = "generic 4 -> 4";
    r.target = testTarget();
    r.schedule = s.serialize(&context);
    r.medianMs = r.minMs = ms;
    r.status = status;
    r.kilnVersion = "test";
    r.time = "2026-12-06T00:00:00Z";
    return r;
  }
  /// Sends `request` to `runner` and returns the reply (within 120 s).
  static llvm::json::Object askRunner(tuner::RunnerProcess &runner, llvm::json::Object request) {
    llvm::json::Object reply;
    EXPECT_FALSE(runner.send(request));
    EXPECT_EQ(runner.receive(120, reply), tuner::Outcome::Replied);
    return reply;
  }
  /// A record of kernel "k" with its schedule's text as given (choose()
  /// compares texts), in a pair or not, a baseline or not, at `time`.
  TuningRecord pairRecord(llvm::StringRef schedule, double ms, bool paired, bool baseline,
                          llvm::StringRef time) {
    TuningRecord r = record("k", ms);
    r.schedule = schedule.str();
    r.paired = paired;
    r.baseline = baseline;
    r.time = time.str();
    return r;
  }
  mlir::MLIRContext context;
  llvm::SmallString<128> dir;
};

TEST_F(TunerTest, RecordsRoundTripInFieldOrder) {
  TuningRecord r = record("k1", 0.125);
  std::string db = path("db.jsonl");
  ASSERT_FALSE(appendRecord(db, r));
  ASSERT_FALSE(appendRecord(db, record("k2", 0.5, MeasureStatus::Timeout)));
  std::string text = read(db);
  EXPECT_EQ(text.find("{\"schema\":2,\"kernel\":\"k1\",\"summary\":"), 0u) << text;
  EXPECT_NE(text.find("\"target\":{\"halide\":\"host\",\"cpu\":\"testcpu\",\"features\":[\"avx\","
                      "\"sse41\"],\"device\":\"native\",\"device_version\":\"test 1.0\","
                      "\"threads\":1}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"median_ms\":0.125,\"min_ms\":0.125,\"spread\":0,\"status\":\"ok\""),
            std::string::npos)
      << text;
  auto loaded = loadTuningDb(db);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  ASSERT_EQ(loaded->records.size(), 2u);
  EXPECT_TRUE(loaded->warnings.empty());
  EXPECT_EQ(loaded->records[0].toJsonLine(), r.toJsonLine());
  EXPECT_EQ(loaded->records[0].target.features, r.target.features);
  EXPECT_EQ(loaded->records[0].target.deviceVersion, "test 1.0");
  EXPECT_EQ(loaded->records[1].status, MeasureStatus::Timeout);
  auto schedule = ScheduleRecord::parse(loaded->records[0].schedule, &context);
  ASSERT_TRUE(bool(schedule)) << llvm::toString(schedule.takeError());
  EXPECT_EQ(schedule->channelTile, 8);
}

// Without the model, `kiln-tune show` decides against the template the
// database last measured: its latest baseline record, else (a file older
// than the flag) its first record, for the exact target only.
TEST_F(TunerTest, LastBaselineIsTheTemplateTheDatabaseLastMeasured) {
  TargetFingerprint here = testTarget();
  TuningDb db;
  db.records = {pairRecord("T0", 0.4, false, false, "t1"),
                pairRecord("C", 0.1, false, false, "t2")};
  EXPECT_EQ(db.lastBaseline("k", here), "T0"); // no flag: the first record
  db.records.push_back(pairRecord("T1", 0.4, false, true, "t3"));
  db.records.push_back(pairRecord("T2", 0.3, true, true, "t5"));
  db.records.push_back(pairRecord("T1", 0.4, true, true, "t4")); // an older pair, later line
  EXPECT_EQ(db.lastBaseline("k", here), "T2");
  EXPECT_EQ(db.lastBaseline("k", {"host", "othercpu", "native", 1}), "");
  EXPECT_EQ(db.lastBaseline("absent", here), "");
}

// The end-of-tune pair (template and best, timed side by side) decides over
// lower medians recorded earlier in the search, and the latest pair over
// older ones; "paired" survives the file, and unpaired lines keep their
// exact text.
TEST_F(TunerTest, LatestPairedRetimingDecides) {
  TuningRecord flattering = record("k", 0.05); // a quiet moment
  flattering.schedule = "flattering";
  TuningRecord oldTemplate = record("k", 0.4), oldBest = record("k", 0.3);
  oldTemplate.paired = oldBest.paired = true;
  oldTemplate.time = oldBest.time = "2026-12-06T01:00:00Z";
  oldTemplate.schedule = "template";
  TuningRecord pairTemplate = record("k", 0.2), pairBest = record("k", 0.25);
  pairTemplate.paired = pairBest.paired = true;
  pairTemplate.time = pairBest.time = "2026-12-06T02:00:00Z";
  pairTemplate.schedule = "template";
  std::string file = path("paired.jsonl");
  for (const TuningRecord &r : {flattering, oldTemplate, oldBest, pairTemplate, pairBest})
    ASSERT_FALSE(appendRecord(file, r));
  auto db = loadTuningDb(file);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  EXPECT_TRUE(db->warnings.empty());
  ASSERT_EQ(db->records.size(), 5u);
  EXPECT_FALSE(db->records[0].paired);
  EXPECT_EQ(db->records[0].toJsonLine().find("paired"), std::string::npos);
  EXPECT_TRUE(db->records[3].paired);
  TargetFingerprint here = testTarget();
  TuningDb::Choice c = db->choose("k", here, "template");
  ASSERT_EQ(c.kind, TuningDb::Choice::TemplateKept); // the latest pair's faster: the template
  EXPECT_EQ(c.record->medianMs, 0.2);
  // Without the latest pair, the older one (won by its candidate) decides;
  // the flattering search record outside a pair never does.
  db->records.resize(3);
  c = db->choose("k", here, "template");
  ASSERT_EQ(c.kind, TuningDb::Choice::Tuned);
  EXPECT_EQ(c.record->medianMs, 0.3);
}

// A tune killed in the middle of a write leaves a line without a newline:
// readers skip it, and the next append cuts it off and starts a whole line.
TEST_F(TunerTest, TornLastLineIsSkippedAndRepairedOnAppend) {
  std::string db = path("db.jsonl");
  ASSERT_FALSE(appendRecord(db, record("k1", 0.1)));
  {
    std::ofstream torn(db, std::ios::app);
    torn << record("k2", 0.2).toJsonLine().substr(0, 50);
  }
  auto loaded = loadTuningDb(db);
  ASSERT_TRUE(bool(loaded));
  EXPECT_EQ(loaded->records.size(), 1u);
  ASSERT_EQ(loaded->warnings.size(), 1u);
  EXPECT_NE(loaded->warnings[0].find(":2: incomplete last line"), std::string::npos);
  ASSERT_FALSE(appendRecord(db, record("k3", 0.3)));
  loaded = loadTuningDb(db);
  ASSERT_TRUE(bool(loaded));
  EXPECT_TRUE(loaded->warnings.empty()) << loaded->warnings[0];
  ASSERT_EQ(loaded->records.size(), 2u);
  EXPECT_EQ(loaded->records[1].kernel, "k3");
}

TEST_F(TunerTest, MalformedAndForeignLinesAreReportedWithTheirLineNumbers) {
  std::string db = path("db.jsonl");
  std::string good = record("k1", 0.1).toJsonLine();
  std::string badStatus = good;
  badStatus.replace(badStatus.find("\"ok\""), 4, "\"fast\"");
  std::string future = good;
  future.replace(future.find("\"schema\":2"), 10, "\"schema\":9");
  TuningRecord both = record("k1", 0.1);
  both.rejected = both.accepted = true;
  std::ofstream(db) << good << "\n[1,2]\n"
                    << badStatus << "\n"
                    << future << "\n"
                    << both.toJsonLine() << "\n\n";
  auto loaded = loadTuningDb(db);
  ASSERT_TRUE(bool(loaded));
  EXPECT_EQ(loaded->records.size(), 1u);
  ASSERT_EQ(loaded->warnings.size(), 4u);
  EXPECT_NE(loaded->warnings[0].find("db.jsonl:2: malformed record (not a JSON object)"),
            std::string::npos)
      << loaded->warnings[0];
  EXPECT_NE(loaded->warnings[1].find(":3: malformed record (unknown status 'fast')"),
            std::string::npos)
      << loaded->warnings[1];
  EXPECT_NE(loaded->warnings[2].find(":4: schema 9 is not one this build reads (1 to 2); ignored"),
            std::string::npos)
      << loaded->warnings[2];
  EXPECT_NE(loaded->warnings[3].find(":5: malformed record (both rejected and accepted: a "
                                     "verdict is one or the other); skipped"),
            std::string::npos)
      << loaded->warnings[3];
}

// Schema 2's target lists the CPU features, sorted and each once, and the
// device's version (a string, "" when unknown); a line that breaks either
// is malformed.
TEST_F(TunerTest, FeaturesAndDeviceVersionAreChecked) {
  std::string good = record("k1", 0.1).toJsonLine();
  auto edited = [&](llvm::StringRef from, llvm::StringRef to) {
    std::string line = good;
    size_t at = line.find(from.str());
    EXPECT_NE(at, std::string::npos) << from.str();
    return line.replace(at, from.size(), to.str());
  };
  std::string db = path("db.jsonl");
  std::ofstream(db) << edited("[\"avx\",\"sse41\"]", "[\"sse41\",\"avx\"]") << "\n"
                    << edited("[\"avx\",\"sse41\"]", "[\"avx\",\"avx\"]") << "\n"
                    << edited("\"features\":[\"avx\",\"sse41\"],", "") << "\n"
                    << edited("\"device_version\":\"test 1.0\",", "") << "\n"
                    << edited("[\"avx\",\"sse41\"]", "[\"avx\",3]") << "\n"
                    << edited("[\"avx\",\"sse41\"]", "[]") << "\n";
  auto loaded = loadTuningDb(db);
  ASSERT_TRUE(bool(loaded));
  ASSERT_EQ(loaded->records.size(), 1u); // no features: a CPU Halide resolves to none
  EXPECT_TRUE(loaded->records[0].target.features.empty());
  ASSERT_EQ(loaded->warnings.size(), 5u);
  for (int i : {0, 1})
    EXPECT_NE(loaded->warnings[i].find("(target.features must be sorted, each once)"),
              std::string::npos)
        << loaded->warnings[i];
  EXPECT_NE(loaded->warnings[2].find(":3: malformed record (expected a list of strings for "
                                     "target.features)"),
            std::string::npos)
      << loaded->warnings[2];
  EXPECT_NE(loaded->warnings[3].find(":4: malformed record (expected a string for "
                                     "device_version)"),
            std::string::npos)
      << loaded->warnings[3];
  EXPECT_NE(loaded->warnings[4].find(":5: malformed record (expected a list of strings"),
            std::string::npos)
      << loaded->warnings[4];
}

// Schema 1 lines (no features, no device version) are read with the
// features LLVM's CPU table gives their cpu, and written back as they were
// (merge keeps the line, provenance keeps its hash); one whose cpu the
// table does not know is ignored with its reason.
TEST_F(TunerTest, SchemaOneRecordsGetTheirCpusFeatures) {
  auto schema1 = [&](llvm::StringRef cpu) {
    return "{\"schema\":1,\"kernel\":\"k1\",\"summary\":\"generic 4 -> 4\",\"target\":{"
           "\"halide\":\"host\",\"cpu\":\"" +
           cpu.str() +
           "\",\"device\":\"native\",\"threads\":1},\"schedule\":\"s\",\"median_ms\":0.1,"
           "\"min_ms\":0.1,\"spread\":0,\"status\":\"ok\",\"kiln\":\"test\",\"time\":"
           "\"2026-12-06T00:00:00Z\"}";
  };
  std::string db = path("old.jsonl");
  std::ofstream(db) << schema1("znver3") << "\n"
                    << schema1("skylake-avx512") << "\n"
                    << schema1("x86-64") << "\n"
                    << schema1("testcpu") << "\n";
  auto loaded = loadTuningDb(db);
  ASSERT_TRUE(bool(loaded));
  ASSERT_EQ(loaded->records.size(), 3u);
  EXPECT_EQ(loaded->records[0].schema, 1);
  EXPECT_EQ(loaded->records[0].target.features,
            (std::vector<std::string>{"avx", "avx2", "f16c", "fma", "sse41"}));
  EXPECT_EQ(loaded->records[1].target.features,
            (std::vector<std::string>{"avx", "avx2", "avx512", "avx512_skylake", "f16c", "fma",
                                      "sse41"}));
  EXPECT_TRUE(loaded->records[2].target.features.empty()); // x86-64: SSE2 only
  EXPECT_EQ(loaded->records[0].toJsonLine(), schema1("znver3"));
  EXPECT_EQ(loaded->records[0].target.deviceVersion, "");
  ASSERT_EQ(loaded->warnings.size(), 1u);
  EXPECT_NE(loaded->warnings[0].find("old.jsonl:4: schema 1 record for cpu 'testcpu', whose "
                                     "features LLVM's CPU table does not give"),
            std::string::npos)
      << loaded->warnings[0];
  // A schema 1 record matches the schema 2 fingerprint of its cpu.
  TargetFingerprint zen{"host", "znver3", "native", 1};
  zen.features = {"avx", "avx2", "f16c", "fma", "sse41"};
  EXPECT_EQ(loaded->records[0].target, zen);
  std::string merged = path("merged.jsonl");
  ASSERT_FALSE(mergeTuningDbs({*loaded}, merged));
  EXPECT_EQ(read(merged).substr(0, schema1("znver3").size() + 1), schema1("znver3") + "\n");
}

// The fingerprint matches on the features and never on the device's
// version: a record from another feature set is ignored (choose finds
// nothing), one from another Node applies.
TEST_F(TunerTest, FeaturesMatchDeviceVersionDoesNot) {
  TargetFingerprint here = testTarget();
  here.features = {"avx", "sse41"};
  here.deviceVersion = "test 2.0";
  std::string templateText = record("k", 0).schedule;
  TuningDb db;
  db.records = {pairRecord(templateText, 0.2, false, true, "2026-12-07T01:00:00Z")};
  EXPECT_EQ(db.choose("k", here, templateText).kind, TuningDb::Choice::TemplateKept);
  TargetFingerprint avx512 = here;
  avx512.features = {"avx", "avx2", "avx512", "sse41"};
  EXPECT_EQ(db.choose("k", avx512, templateText).kind, TuningDb::Choice::None);
  EXPECT_NE(avx512.str(), here.str());
  EXPECT_EQ(here.str(), "host/testcpu(avx,sse41)/native/1t");
}

// This machine's features, as kilnc and kiln-tune fingerprint them, and the
// features LLVM's table gives its CPU's name: the same list where the two
// agree about the CPU (on a VM that hides features they may not, and then
// schema 1 records of this CPU do not apply: they may have used them).
TEST_F(TunerTest, HostFeaturesComeFromLlvm) {
  TargetFingerprint host = hostFingerprint("host", "native", 1);
  EXPECT_EQ(host.features, hostCpuFeatures());
  EXPECT_TRUE(std::is_sorted(host.features.begin(), host.features.end()));
#if defined(__x86_64__)
  EXPECT_NE(std::find(host.features.begin(), host.features.end(), "sse41"), host.features.end())
      << "every x86-64 machine Kiln builds on has SSE4.1";
#endif
}

TEST_F(TunerTest, MergeKeepsEachRecordOnce) {
  TuningDb a, b;
  a.records = {record("k1", 0.1), record("k2", 0.2)};
  b.records = {record("k2", 0.2), record("k3", 0.3)};
  std::string out = path("merged.jsonl");
  ASSERT_FALSE(mergeTuningDbs({a, b}, out));
  auto merged = loadTuningDb(out);
  ASSERT_TRUE(bool(merged));
  ASSERT_EQ(merged->records.size(), 3u);
  EXPECT_EQ(merged->records[0].kernel, "k1");
  EXPECT_EQ(merged->records[2].kernel, "k3");
}

// kiln-tune show and merge as library calls (tuner/DbReport.h): show's row
// is TuningDb::choose's decision (here the pair's winner: tuned, at its
// paired time, not the faster search record), its footer counts it for the
// CPU the records were measured on, and a malformed line is a warning with
// its line number; merge writes each record once and says so.
TEST_F(TunerTest, ShowAndMergeAreLibraryCalls) {
  ScheduleRecord wide;
  wide.vectorWidth = 8;
  wide.channelTile = 16;
  std::string templateText = record("k", 0).schedule, wideText = wide.serialize(&context);
  TuningRecord search = pairRecord(wideText, 0.05, false, false, "2026-12-07T01:00:00Z");
  TuningRecord pairTemplate = pairRecord(templateText, 0.2, true, true, "2026-12-07T02:00:00Z");
  TuningRecord pairBest = pairRecord(wideText, 0.1, true, false, "2026-12-07T02:00:00Z");
  std::string file = path("show.jsonl");
  for (const TuningRecord &r : {search, pairTemplate, pairBest})
    ASSERT_FALSE(appendRecord(file, r));
  { std::ofstream(file, std::ios::app) << "{not json\n"; }
  std::string out, diag;
  llvm::raw_string_ostream outStream(out), diagStream(diag);
  ASSERT_FALSE(tuner::showTuningDb(file, "", outStream, diagStream));
  EXPECT_NE(diag.find("kiln-tune: warning: show.jsonl:4: malformed record"), std::string::npos)
      << diag;
  EXPECT_NE(out.find("target host/testcpu(avx,sse41)/native/1t\n  device version (recorded, "
                     "not matched): test 1.0 (3 records)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("0.1000      3      0  tuned"), std::string::npos) << out;
  EXPECT_NE(out.find("kilnc on testcpu(avx,sse41) takes 1 of the 1 kernels listed: 1 tuned, 0 the "
                     "template"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("measured on another CPU (testcpu)"), std::string::npos) << out;
  llvm::Error missing = tuner::showTuningDb(path("absent.jsonl"), "", outStream, diagStream);
  ASSERT_TRUE(bool(missing));
  EXPECT_NE(llvm::toString(std::move(missing)).find("no such file"), std::string::npos);

  std::string other = path("other.jsonl"), merged = path("merged.jsonl");
  ASSERT_FALSE(appendRecord(other, pairBest));
  ASSERT_FALSE(appendRecord(other, record("k2", 0.3)));
  out.clear();
  ASSERT_FALSE(tuner::mergeTuningDbFiles({file, other}, merged, outStream, diagStream));
  EXPECT_NE(out.find("kiln-tune: 5 records in, 4 distinct out"), std::string::npos) << out;
  auto db = loadTuningDb(merged);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  EXPECT_EQ(db->records.size(), 4u);
}

const char *kConvModel = R"mlir(
func.func @main(%x: tensor<1x8x8x16xf32>) -> tensor<1x8x8x48xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<48x1x1x16xf32>}> : () -> tensor<48x1x1x16xf32>
  %b = "tosa.const"() <{value = dense<0.25> : tensor<48xf32>}> : () -> tensor<48xf32>
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<48x1x1x16xf32>, tensor<48xf32>) -> tensor<1x8x8x48xf32>
  return %0 : tensor<1x8x8x48xf32>
})mlir";

// kilnc applies a record only where it beat today's template side by side:
// the latest pair whose baseline is that template decides; a pair against
// another template, or a search record outside a pair, applies nothing.
TEST_F(TunerTest, ChooseTakesOnlyAWinOverTodaysTemplate) {
  TargetFingerprint here = testTarget();
  auto rec = [&](llvm::StringRef schedule, double ms, bool paired, bool baseline,
                 llvm::StringRef time) { return pairRecord(schedule, ms, paired, baseline, time); };
  TuningDb db;
  // A tune against template T1: T1 alone first, a flattering candidate,
  // then the pair the candidate won.
  db.records = {rec("T1", 0.4, false, true, "t1"), rec("C", 0.1, false, false, "t2"),
                rec("T1", 0.4, true, true, "t3"), rec("C", 0.3, true, false, "t3")};
  TuningDb::Choice c = db.choose("k", here, "T1");
  ASSERT_EQ(c.kind, TuningDb::Choice::Tuned);
  EXPECT_EQ(c.record->schedule, "C");
  EXPECT_EQ(c.record->medianMs, 0.3);
  // The template changed: nothing from this tune applies.
  c = db.choose("k", here, "T2");
  EXPECT_EQ(c.kind, TuningDb::Choice::TemplateChanged);
  EXPECT_EQ(c.record, nullptr);
  // Re-tuned against T2 with no pair (the template was the best): kept.
  db.records.push_back(rec("T2", 0.25, false, true, "t4"));
  c = db.choose("k", here, "T2");
  ASSERT_EQ(c.kind, TuningDb::Choice::TemplateKept);
  EXPECT_EQ(c.record->schedule, "T2");
  // A later pair against T2 that the template won: still kept; one the
  // candidate won: the candidate.
  db.records.push_back(rec("T2", 0.25, true, true, "t5"));
  db.records.push_back(rec("C", 0.26, true, false, "t5"));
  EXPECT_EQ(db.choose("k", here, "T2").kind, TuningDb::Choice::TemplateKept);
  db.records.push_back(rec("T2", 0.25, true, true, "t6"));
  db.records.push_back(rec("D", 0.2, true, false, "t6"));
  c = db.choose("k", here, "T2");
  ASSERT_EQ(c.kind, TuningDb::Choice::Tuned);
  EXPECT_EQ(c.record->schedule, "D");
  // T1's own pair still decides for T1 (the latest pair against it).
  EXPECT_EQ(db.choose("k", here, "T1").record->schedule, "C");
  // A pair written before the flag: its member equal to today's template is
  // the baseline.
  TuningDb legacy;
  legacy.records = {rec("T1", 0.4, true, false, "t1"), rec("C", 0.3, true, false, "t1")};
  c = legacy.choose("k", here, "T1");
  ASSERT_EQ(c.kind, TuningDb::Choice::Tuned);
  EXPECT_EQ(c.record->schedule, "C");
  EXPECT_EQ(legacy.choose("k", here, "T2").kind, TuningDb::Choice::TemplateChanged);
  // A win inside the pair's noise (under 2%) keeps the template.
  TuningDb close;
  close.records = {rec("T1", 0.25, true, true, "t1"), rec("C", 0.248, true, false, "t1")};
  EXPECT_EQ(close.choose("k", here, "T1").kind, TuningDb::Choice::TemplateKept);
  // Unpaired search records alone never apply, however fast.
  TuningDb unpaired;
  unpaired.records = {rec("T1", 0.4, false, true, "t1"), rec("C", 0.01, false, false, "t2")};
  EXPECT_EQ(unpaired.choose("k", here, "T1").record->schedule, "T1");
  EXPECT_EQ(unpaired.choose("k", {"host", "testcpu", "native", 2, {"avx", "sse41"}}, "T1").kind,
            TuningDb::Choice::None);
  // Today's template measured only as a failure: as if never tuned.
  TuningDb failed;
  failed.records = {rec("T1", 0.4, false, true, "t1"), rec("T2", 0, false, true, "t2")};
  failed.records[1].status = MeasureStatus::Timeout;
  EXPECT_EQ(failed.choose("k", here, "T2").kind, TuningDb::Choice::None);
  // The flag survives the file, after "paired".
  std::string file = path("baseline.jsonl");
  ASSERT_FALSE(appendRecord(file, rec("T1", 0.4, true, true, "t1")));
  auto loaded = loadTuningDb(file);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  ASSERT_EQ(loaded->records.size(), 1u);
  EXPECT_TRUE(loaded->records[0].baseline);
  EXPECT_NE(read(file).find("\"paired\":true,\"baseline\":true}"), std::string::npos) << read(file);
}

// On a module: a record tuned against an older template is ignored with one
// note, the kernel keeps today's template; a pair against today's template
// applies its winner.
TEST_F(TunerTest, TemplateChangedSinceTuningIgnoresTheRecord) {
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kConvModel, &context);
  ASSERT_TRUE(module);
  ASSERT_TRUE(succeeded(runPipeline(*module, Phase::Kernels)));
  mlir::PassManager pack(&context);
  pack.addPass(createKilnPackWeightsPass());
  ASSERT_TRUE(succeeded(pack.run(*module)));
  KernelOp kernel;
  module->walk([&](KernelOp k) { kernel = k; });
  ASSERT_TRUE(kernel);
  auto info = parseTargetInfo("x86-64-linux-avx2");
  ASSERT_TRUE(bool(info));
  ScheduleRecord today = chooseTemplate(kernel, *info);
  ScheduleRecord before = today, tuned = today;
  before.unroll = today.unroll == 1 ? 2 : 1; // the template the tune measured
  tuned.pixelTile = today.pixelTile == 1 ? 2 : 1;
  TargetFingerprint here{"x86-64-linux-avx2", "testcpu", "native", 1};
  auto rec = [&](const ScheduleRecord &s, double ms, bool baseline, llvm::StringRef time) {
    TuningRecord r = record(kernelIdentity(kernel), ms);
    r.target = here;
    r.schedule = s.serialize(&context);
    r.paired = true;
    r.baseline = baseline;
    r.time = time.str();
    return r;
  };
  TuningDb db;
  db.records = {rec(before, 0.4, true, "2026-12-06T01:00:00Z"),
                rec(tuned, 0.3, false, "2026-12-06T01:00:00Z")};
  TuningUse use = applyTuningDb(*module, db, here);
  EXPECT_EQ(use.fromDb, 0u);
  EXPECT_EQ(use.templateChanged, 1u);
  EXPECT_FALSE(kernel->hasAttr(kScheduleAttrName));
  ASSERT_FALSE(use.notes.empty());
  EXPECT_NE(use.notes[0].find("1 kernels: template changed since tuning, re-tune"),
            std::string::npos)
      << use.notes[0];
  // Tuned again against today's template, and the candidate won.
  db.records.push_back(rec(today, 0.4, true, "2026-12-06T02:00:00Z"));
  db.records.push_back(rec(tuned, 0.3, false, "2026-12-06T02:00:00Z"));
  use = applyTuningDb(*module, db, here);
  EXPECT_EQ(use.fromDb, 1u);
  EXPECT_EQ(use.tuned, 1u);
  EXPECT_EQ(use.templateChanged, 0u);
  auto attached = getSchedule(kernel);
  ASSERT_TRUE(attached && *attached);
  EXPECT_EQ(**attached, tuned);
}

// The same seed gives the same candidates; every candidate is legal, and
// so is another task's record once fitted.
TEST_F(TunerTest, SearchSpaceIsSeededAndLegal) {
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kConvModel, &context);
  ASSERT_TRUE(module);
  ASSERT_TRUE(succeeded(runPipeline(*module, Phase::Kernels)));
  ASSERT_TRUE(succeeded(
      runSchedulesPhase(*module, {"cpu", "x86-64-linux-avx2", true}, ScheduleMode::Template)));
  auto tasks = tuner::extractTasks(*module);
  ASSERT_TRUE(bool(tasks)) << llvm::toString(tasks.takeError());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].pattern, KernelPattern::Conv1x1);
  auto info = parseTargetInfo("x86-64-linux-avx2");
  ASSERT_TRUE(bool(info));
  tuner::SearchSpace space((*tasks)[0], *info);
  EXPECT_TRUE(space.legal((*tasks)[0].templateRecord));
  auto draw = [&](unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> out;
    ScheduleRecord r = space.sample(rng);
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(space.legal(r)) << r.str();
      EXPECT_LE(r.vectorWidth, 8) << "avx2 has 8 lanes";
      out.push_back(r.serialize(&context));
      r = i % 2 ? space.sample(rng) : space.mutate(r, rng);
    }
    return out;
  };
  EXPECT_EQ(draw(7), draw(7));
  EXPECT_NE(draw(7), draw(8));
  EXPECT_EQ(space.grid(10).size(), 10u);
  // Another task's record fitted to this one is legal here, whatever its
  // tiles were sized for.
  const tuner::Task &task = (*tasks)[0];
  ScheduleRecord foreign = task.templateRecord;
  foreign.vectorWidth = 16; // an avx512 record on avx2
  foreign.channelTile = 96;
  foreign.pixelTile = 6;
  foreign.rowTile = 3;
  foreign.unroll = 5;
  foreign.parallelDims = {7};
  ScheduleRecord fitted = space.adapt(foreign);
  EXPECT_TRUE(space.legal(fitted)) << fitted.str();
  EXPECT_EQ(fitted.vectorWidth, 8);
  EXPECT_EQ(fitted.unroll, 4);
  EXPECT_EQ(fitted.parallelDims, task.templateRecord.parallelDims);
  EXPECT_TRUE(fitted.channelTile <= std::max<int64_t>(8, task.channels)) << fitted.str();
}

// FaceMesh's heads on WASM: a one-pixel conv with many channels (3x3x32 ->
// 1x1x1404) streams its weights (ApplySchedule.cpp, streamOnePixel) at
// vector widths 2 and 4, where only the width applies. The space holds one
// candidate per such width (the template's other knobs), so the tuner
// never spends a trial on a record that compiles to code it has already
// measured; at width 1 (register tiles) every knob stays. Checked against
// codegen: records that the space makes one compile to the same object,
// the space's candidates to different ones; provenance says which knobs
// apply.
const char *kOnePixelModel = R"mlir(
func.func @main(%x: tensor<1x3x3x32xf32>) -> tensor<1x1x1x1404xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<1404x3x3x32xf32>}> : () -> tensor<1404x3x3x32xf32>
  %b = "tosa.const"() <{value = dense<0.25> : tensor<1404xf32>}> : () -> tensor<1404xf32>
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x32xf32>, tensor<1404x3x3x32xf32>, tensor<1404xf32>) -> tensor<1x1x1x1404xf32>
  return %0 : tensor<1x1x1x1404xf32>
})mlir";

TEST_F(TunerTest, WasmOnePixelStreamSpaceHasOnlyDistinctCode) {
  const char *wasm = "wasm-32-wasmrt-wasm_simd128";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kOnePixelModel, &context);
  ASSERT_TRUE(module);
  ASSERT_TRUE(succeeded(runPipeline(*module, Phase::Kernels)));
  ASSERT_TRUE(succeeded(runSchedulesPhase(*module, {"simd", wasm, true}, ScheduleMode::Template)));
  auto tasks = tuner::extractTasks(*module);
  ASSERT_TRUE(bool(tasks)) << llvm::toString(tasks.takeError());
  ASSERT_EQ(tasks->size(), 1u);
  const tuner::Task &task = (*tasks)[0];
  EXPECT_EQ(task.pattern, KernelPattern::Conv);
  EXPECT_EQ(task.streamShape, (std::vector<int64_t>{1, 1, 1, 1404}));
  auto info = parseTargetInfo(wasm);
  ASSERT_TRUE(bool(info));
  tuner::SearchSpace space(task, *info);
  const ScheduleRecord &tmpl = task.templateRecord;
  EXPECT_EQ(tmpl.vectorWidth, 4);
  EXPECT_TRUE(space.legal(tmpl));

  // The whole grid: one record at each streaming width, the template's at 4.
  std::vector<ScheduleRecord> grid = space.grid(1000000);
  std::map<int, std::vector<ScheduleRecord>> byWidth;
  for (const ScheduleRecord &r : grid) {
    EXPECT_TRUE(space.legal(r)) << r.str();
    byWidth[r.vectorWidth].push_back(r);
  }
  ASSERT_EQ(byWidth[4].size(), 1u);
  ASSERT_EQ(byWidth[2].size(), 1u);
  EXPECT_EQ(byWidth[4][0], tmpl);
  EXPECT_GT(byWidth[1].size(), 100u) << "register tiles at width 1 keep every knob";
  for (size_t i = 0; i < grid.size(); ++i)
    for (size_t j = i + 1; j < grid.size(); ++j)
      ASSERT_FALSE(grid[i] == grid[j]) << grid[i].str();
  // Draws and mutations land on those points too; a record that differs
  // from the template only in knobs the stream does not use is illegal,
  // and fitting it gives the template back.
  std::mt19937 rng(5);
  ScheduleRecord r = tmpl;
  for (int i = 0; i < 200; ++i) {
    r = i % 3 ? space.mutate(r, rng) : space.sample(rng);
    if (r.vectorWidth > 1)
      EXPECT_EQ(r, byWidth[r.vectorWidth][0]) << r.str();
  }
  ScheduleRecord dead = tmpl;
  dead.pixelTile = 1;
  dead.unroll = 3;
  dead.order = tmpl.order == "pixel_major" ? "channel_major" : "pixel_major";
  dead.channelTile = 4;
  ASSERT_FALSE(dead == tmpl);
  EXPECT_FALSE(space.legal(dead));
  EXPECT_EQ(space.adapt(dead), tmpl);

  // Codegen agrees: `dead` and the template build the same module (which
  // also shows the builds repeatable), width 2 and a width-1 record other
  // ones. Each build is `kiln-tune --compile-task wasm` (as the WASM
  // runners build candidates) in a process of its own: Halide numbers its
  // names per process ("out0$2"), so two builds in one process differ.
  std::string taskPath = path("task.mlir");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(taskPath, ec);
    ASSERT_FALSE(ec);
    os << task.moduleText;
  }
  ScheduleRecord scalar = byWidth[1].back();
  auto buildWasm = [&](const ScheduleRecord &record, llvm::StringRef name) {
    std::string exe = kilnTunePath(), out = path(name), schedule = record.serialize(&context);
    llvm::SmallVector<llvm::StringRef> args = {exe, "--compile-task", "wasm", taskPath,
                                               out, schedule};
    std::string error;
    int status = llvm::sys::ExecuteAndWait(exe, args, std::nullopt, {}, 120, 0, &error);
    EXPECT_EQ(status, 0) << name.str() << ": " << error;
    return read(out + "/task.wasm");
  };
  std::string once = buildWasm(tmpl, "template");
  ASSERT_FALSE(once.empty());
  EXPECT_EQ(buildWasm(dead, "dead"), once);
  EXPECT_NE(buildWasm(byWidth[2][0], "width2"), once);
  EXPECT_NE(buildWasm(scalar, "scalar"), once);

  KernelOp kernel;
  module->walk([&](KernelOp k) { kernel = k; });
  ASSERT_TRUE(kernel);
  // Provenance: the schedules phase says that only the width applies; on
  // the CPU (no stream) nothing is added.
  auto source = kernel->getAttrOfType<mlir::StringAttr>(kScheduleSourceAttrName);
  ASSERT_TRUE(source);
  EXPECT_EQ(source.getValue().str(), "template" + kStreamsOnePixelNote.str());
  // A tuned record (width 2, which won its pair) says so too.
  TargetFingerprint node{wasm, "testcpu", "node", 1};
  TuningDb db;
  for (bool baseline : {true, false}) {
    TuningRecord r = pairRecord((baseline ? tmpl : byWidth[2][0]).serialize(&context),
                                baseline ? 0.4 : 0.3, true, baseline, "2026-12-08T00:00:00Z");
    r.kernel = task.identity;
    r.target = node;
    db.records.push_back(r);
  }
  TuningUse use = applyTuningDb(*module, db, node);
  EXPECT_EQ(use.tuned, 1u);
  source = kernel->getAttrOfType<mlir::StringAttr>(kScheduleSourceAttrName);
  EXPECT_TRUE(source.getValue().starts_with("tuned ")) << source.getValue().str();
  EXPECT_TRUE(source.getValue().ends_with(kStreamsOnePixelNote)) << source.getValue().str();
  auto cpu = mlir::parseSourceString<mlir::ModuleOp>(kOnePixelModel, &context);
  ASSERT_TRUE(cpu);
  ASSERT_TRUE(succeeded(runPipeline(*cpu, Phase::Kernels)));
  ASSERT_TRUE(succeeded(
      runSchedulesPhase(*cpu, {"cpu", "x86-64-linux-avx2", true}, ScheduleMode::Template)));
  cpu->walk([&](KernelOp k) {
    EXPECT_EQ(k->getAttrOfType<mlir::StringAttr>(kScheduleSourceAttrName).getValue(), "template");
  });
}

// The cost model learns which knobs cost time from measurements of other
// tasks of the same pattern, and ranks unseen records by it; a failed
// record trains as slow.
TEST_F(TunerTest, CostModelRanksByWhatItLearned) {
  tuner::Task a, b;
  a.pattern = b.pattern = KernelPattern::Conv1x1;
  a.summary = "conv1x1 1x16x16x48 -> 1x16x16x56";
  b.summary = "conv1x1 1x16x16x56 -> 1x16x16x64";
  a.channels = 56;
  b.channels = 64;
  a.pixels = a.rows = b.pixels = b.rows = 16;
  EXPECT_EQ(tuner::inputChannels(a), 48);
  EXPECT_EQ(tuner::inputChannels(b), 56);
  auto rec = [](int pixelTile, int unroll) {
    ScheduleRecord r;
    r.pattern = KernelPattern::Conv1x1;
    r.vectorWidth = 16;
    r.channelTile = 32;
    r.pixelTile = pixelTile;
    r.unroll = unroll;
    return r;
  };
  tuner::CostModel model;
  EXPECT_EQ(model.points(KernelPattern::Conv1x1), 0u);
  // On task a: wider pixel tiles are faster, unroll does not matter.
  for (int pt = 1; pt <= 8; ++pt)
    for (int u : {1, 2, 4})
      model.add(a, rec(pt, u), 1.6 - 0.1 * pt);
  model.add(a, rec(8, 8), 0); // a crash
  EXPECT_EQ(model.points(KernelPattern::Conv1x1), 25u);
  EXPECT_EQ(model.points(KernelPattern::Depthwise), 0u);
  // Task b was never measured; the model still ranks its records.
  EXPECT_LT(model.predict(b, rec(7, 1)), model.predict(b, rec(2, 1)));
  EXPECT_LT(model.predict(b, rec(6, 2)), model.predict(b, rec(1, 2)));
  EXPECT_GT(model.predict(a, rec(8, 8)), model.predict(a, rec(8, 2)));
}

// The whole-model acceptance (tuner/Accept.h): a record that won its
// kernel pair but makes the model slower is rejected, in the database, and
// kilnc's choice falls back to the template; a later pair it wins again (a
// re-tune) counts again.
TEST_F(TunerTest, RejectedEndToEndNeverApplies) {
  TargetFingerprint here = testTarget();
  auto rec = [&](llvm::StringRef schedule, double ms, bool paired, bool baseline,
                 llvm::StringRef time) { return pairRecord(schedule, ms, paired, baseline, time); };
  TuningDb db;
  db.records = {rec("T", 0.4, true, true, "t1"), rec("C", 0.3, true, false, "t1")};
  ASSERT_EQ(db.choose("k", here, "T").kind, TuningDb::Choice::Tuned);
  EXPECT_FALSE(tuner::judged(db, *db.choose("k", here, "T").record));
  TuningRecord no = tuner::verdict(*db.choose("k", here, "T").record, "t2", false);
  EXPECT_TRUE(no.rejected);
  EXPECT_FALSE(no.accepted);
  EXPECT_FALSE(no.paired);
  // Round trip: the flag is the line's last field, read back as written.
  std::string file = path("rejected.jsonl");
  ASSERT_FALSE(appendRecord(file, no));
  EXPECT_NE(read(file).find("\"time\":\"t2\",\"rejected\":true}"), std::string::npos) << read(file);
  auto loaded = loadTuningDb(file);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  ASSERT_EQ(loaded->records.size(), 1u);
  EXPECT_TRUE(loaded->records[0].rejected);
  db.records.push_back(loaded->records[0]);
  EXPECT_TRUE(tuner::judged(db, db.records[1]));
  TuningDb::Choice c = db.choose("k", here, "T");
  ASSERT_EQ(c.kind, TuningDb::Choice::TemplateKept);
  EXPECT_EQ(c.record->schedule, "T");
  ASSERT_NE(c.rejected, nullptr); // what kiln-tune show marks "rejected"
  EXPECT_EQ(c.rejected->schedule, "C");
  EXPECT_EQ(db.choose("k", here, db.lastBaseline("k", here)).kind, TuningDb::Choice::TemplateKept);
  // Another target's rejection says nothing here.
  TuningDb other = db;
  other.records.back().target.threads = 2;
  EXPECT_EQ(other.choose("k", here, "T").kind, TuningDb::Choice::Tuned);
  // A later pair won again (after a re-tune): the record applies again.
  db.records.push_back(rec("T", 0.4, true, true, "t3"));
  db.records.push_back(rec("C", 0.3, true, false, "t3"));
  EXPECT_EQ(db.choose("k", here, "T").kind, TuningDb::Choice::Tuned);
  EXPECT_FALSE(tuner::judged(db, db.records.back()));
  // Accepted: it applies, and is judged (a resumed tune leaves it).
  db.records.push_back(tuner::verdict(db.records.back(), "t4", true));
  EXPECT_NE(db.records.back().toJsonLine().find("\"accepted\":true}"), std::string::npos);
  EXPECT_EQ(db.choose("k", here, "T").kind, TuningDb::Choice::Tuned);
  EXPECT_TRUE(tuner::judged(db, db.records[db.records.size() - 2]));
}

// The acceptance step keeps no record that lost end to end. Constructed:
// four records won their kernel pairs (gains 3, 2, 1, 0.5 ms); in the
// model, D (the smallest gain) costs 10 ms (a kernel fast alone that
// evicts its neighbour's data, say). All four lose; the larger-gain half
// pays and is kept; C and D are rejected. A model where every set loses
// keeps none.
TEST_F(TunerTest, AcceptanceKeepsNoRecordThatLost) {
  std::vector<tuner::AcceptCandidate> candidates = {
      {"C", "c", 1}, {"A", "a", 3}, {"D", "d", 0.5}, {"B", "b", 2}};
  std::map<std::string, double> inModel = {{"A", -3}, {"B", -2}, {"C", -1}, {"D", 10}};
  std::vector<std::vector<std::string>> asked;
  auto model = [&](double penalty) {
    return [&, penalty](const std::vector<std::string> &kept, bool more) {
      // Every pair alike: the first look always decides.
      EXPECT_FALSE(more);
      asked.push_back(kept);
      double with = 100 + penalty;
      for (const std::string &k : kept)
        with += inModel[k];
      tuner::ModelPairs p;
      for (unsigned i = 0; i < tuner::kAcceptPairs; ++i) {
        // Noise of +-0.2 ms that both builds of a pair share.
        double noise = 0.1 * (int((i * 7) % 5) - 2);
        p.beforeMs.push_back(100 + noise);
        p.afterMs.push_back(with + noise);
      }
      return p;
    };
  };
  tuner::AcceptResult r = tuner::acceptRecords(candidates, model(0));
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0], (std::vector<std::string>{"A", "B", "C", "D"}));
  EXPECT_FALSE(r.steps[0].pairs.pays());
  EXPECT_TRUE(r.steps[1].pairs.pays());
  EXPECT_EQ(r.accepted, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(r.rejected, (std::vector<std::string>{"C", "D"}));
  // Every build loses (a 20 ms penalty whatever is kept): nothing kept.
  asked.clear();
  r = tuner::acceptRecords(candidates, model(20));
  EXPECT_TRUE(r.accepted.empty());
  EXPECT_EQ(r.rejected.size(), 4u);
  EXPECT_EQ(asked.size(), 3u); // 4, 2, 1 records: the last alone loses too
  // A build whose outputs differ never pays, whatever its times.
  tuner::ModelPairs wrong;
  wrong.beforeMs = {2, 2, 2};
  wrong.afterMs = {1, 1, 1};
  wrong.status = "the tuned model's outputs differ";
  EXPECT_FALSE(wrong.pays());
  // A 0.5% gain is within a pair's noise: not paying (kAcceptRatio).
  tuner::ModelPairs close;
  close.beforeMs = {1, 1, 1};
  close.afterMs = {0.995, 0.995, 0.995};
  EXPECT_FALSE(close.pays());
}

// The sign test over the pairs in two looks (acceptDesign): at the first
// build (alpha 0.02) 13 of 15 faster pays at once, 10-12 of 15 asks for 15
// more pairs and then 21 of 30 pays, 9 of 15 does not pay (p = 0.30: not
// worth more pairs). Checked against a simulation, not against the
// design's own arithmetic: 40,000 builds that change nothing (each pair a
// fair coin) and as many that win each pair with probability 0.7, each
// judged by ModelPairs::verdict with its second look where it asks; the
// false accepts must stay under alpha at every step, and the power must
// beat the one-look test it replaced (12 of 15 at step 1, 13 at 2-4).
TEST_F(TunerTest, AcceptanceIsASequentialSignTest) {
  EXPECT_NEAR(tuner::signTestP(12, 15), 576.0 / 32768, 1e-12);
  EXPECT_NEAR(tuner::signTestP(13, 15), 121.0 / 32768, 1e-12);
  EXPECT_NEAR(tuner::signTestP(11, 15), 1941.0 / 32768, 1e-12);
  EXPECT_DOUBLE_EQ(tuner::signTestP(0, 15), 1.0);
  EXPECT_DOUBLE_EQ(tuner::signTestP(15, 15), 1.0 / 32768);
  auto pairs = [](std::vector<bool> wins) {
    tuner::ModelPairs p;
    for (bool w : wins) {
      p.beforeMs.push_back(10);
      p.afterMs.push_back(w ? 8 : 10.5); // ties would lose too
    }
    return p;
  };
  auto of = [](unsigned wins, unsigned n) {
    std::vector<bool> v(n, false);
    std::fill(v.begin(), v.begin() + wins, true);
    return v;
  };
  auto join = [](std::vector<bool> a, const std::vector<bool> &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  using V = tuner::AcceptVerdict;
  EXPECT_EQ(pairs(of(13, 15)).verdict(1), V::Pays);
  EXPECT_EQ(pairs(of(12, 15)).verdict(1), V::MorePairs);
  EXPECT_EQ(pairs(of(10, 15)).verdict(1), V::MorePairs);
  EXPECT_EQ(pairs(of(9, 15)).verdict(1), V::DoesNotPay);
  EXPECT_EQ(pairs(join(of(12, 15), of(9, 15))).verdict(1), V::Pays);
  EXPECT_EQ(pairs(join(of(12, 15), of(8, 15))).verdict(1), V::DoesNotPay);
  // A median gain under 1% never pays, however many pairs it wins.
  tuner::ModelPairs close;
  for (int i = 0; i < 15; ++i) {
    close.beforeMs.push_back(1);
    close.afterMs.push_back(0.995);
  }
  EXPECT_NE(close.verdict(1), V::Pays);
  // Fewer pairs (a runner that died part way) weigh less: 5 of 5 is p
  // 0.031, not the first look's 0.0037, and asks for nothing more.
  EXPECT_EQ(pairs(of(5, 5)).verdict(1), V::DoesNotPay);

  std::mt19937 rng(7);
  auto simulate = [&](double q, unsigned step, unsigned builds) {
    std::bernoulli_distribution win(q);
    unsigned paid = 0;
    for (unsigned b = 0; b < builds; ++b) {
      std::vector<bool> w(15);
      for (unsigned i = 0; i < 15; ++i)
        w[i] = win(rng);
      tuner::ModelPairs p = pairs(w);
      if (p.verdict(step) == V::MorePairs) {
        for (unsigned i = 0; i < 15; ++i)
          w.push_back(win(rng));
        p = pairs(w);
      }
      paid += p.pays(step);
    }
    return double(paid) / builds;
  };
  // The one-look test's power at 0.7: 12 of 15 at step 1, 13 of 15 after.
  // Tolerances: 4 standard errors of a simulation of `builds`.
  const unsigned builds = 40000;
  double oneLook[] = {0, 0.2969, 0.1268, 0.1268, 0.1268};
  for (unsigned step = 1; step <= 4; ++step) {
    double alpha = tuner::kAcceptAlpha / step;
    tuner::AcceptDesign design = tuner::acceptDesign(alpha);
    double falseAccept = simulate(0.5, step, builds);
    EXPECT_LE(falseAccept, alpha + 4 * std::sqrt(alpha / builds)) << "step " << step;
    EXPECT_NEAR(falseAccept, design.falseAccept, 4 * std::sqrt(alpha / builds)) << "step " << step;
    double power = simulate(0.7, step, builds);
    EXPECT_GT(power, oneLook[step] + 0.05) << "step " << step;
    EXPECT_NEAR(power, design.power, 4 * std::sqrt(0.25 / builds)) << "step " << step;
  }
}

// A build whose first look is promising but not clear is timed again (the
// same two builds, 15 more pairs) and judged on all 30.
TEST_F(TunerTest, AcceptanceTimesMorePairsWhenTheFirstLookIsUnclear) {
  std::vector<tuner::AcceptCandidate> candidates = {{"A", "a", 1}};
  std::vector<bool> asked;
  auto measure = [&](const std::vector<std::string> &kept, bool more) {
    asked.push_back(more);
    // 11 of 15 faster in the first look, 12 of 15 in the second: 23 of 30.
    unsigned wins = more ? 12 : 11;
    tuner::ModelPairs p;
    for (unsigned i = 0; i < tuner::kAcceptPairs; ++i) {
      p.beforeMs.push_back(10);
      p.afterMs.push_back(i < wins ? 9.5 : 10.2);
    }
    return p;
  };
  tuner::AcceptResult r = tuner::acceptRecords(candidates, measure);
  EXPECT_EQ(asked, (std::vector<bool>{false, true}));
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].pairs.afterMs.size(), 2 * tuner::kAcceptPairs);
  EXPECT_EQ(r.steps[0].pairs.afterWins(), 23u);
  EXPECT_EQ(r.accepted, (std::vector<std::string>{"A"}));
}

// The runner compares every candidate with the template's outputs: a
// module that computes something else is reported wrong, whatever its
// schedule, and so can never win. The same on the native runner and on
// the WASM runner in Node (which builds each candidate with kiln-tune).
class RunnerTest : public TunerTest, public ::testing::WithParamInterface<const char *> {};

TEST_P(RunnerTest, RejectsWrongOutputs) {
  std::string runnerExe = kilnTunePath();
  ASSERT_TRUE(llvm::sys::fs::exists(runnerExe)) << runnerExe;
  std::string device = GetParam();
  bool jit = device == "native-jit";
  if (jit)
    device = "native";
  auto command = tuner::runnerCommand(device == "native" ? "cpu" : "wasm", device, runnerExe, jit);
  ASSERT_TRUE(bool(command)) << llvm::toString(command.takeError());
  if (command->empty())
    *command = {runnerExe, "--runner"};
  auto kernel = [](const char *op) {
    return std::string(R"mlir(
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.kernel "k" (%x) : (tensor<4xf32>) -> tensor<4xf32> attributes {kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = generic, vector_width = 4, channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = pixel_major>} {
  ^bb0(%a: tensor<4xf32>):
    %r = )mlir") +
           op + R"mlir( %a : (tensor<4xf32>) -> tensor<4xf32>
    kiln.yield %r : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
})mlir";
  };
  std::string good = path("good.mlir"), bad = path("bad.mlir");
  std::ofstream(good) << kernel("tosa.exp");
  std::ofstream(bad) << kernel("tosa.negate");
  tuner::RunnerProcess runner(*command, 1);
  auto ask = [&](llvm::json::Object request) { return askRunner(runner, std::move(request)); };
  for (auto [id, file] : {std::pair{1, good}, {2, bad}})
    EXPECT_EQ(
        ask(llvm::json::Object{{"op", "compile"}, {"id", id}, {"task", file}, {"schedule", ""}})
            .getString("status"),
        "ok");
  // Its compile replies say what runs the code (the protocol's
  // "device_version"): Node's version, the kernel for native code.
  std::string version = runner.deviceVersion();
  if (device == "node")
    EXPECT_EQ(version.substr(0, 1), "v") << version;
  else
    EXPECT_EQ(version.substr(0, 6), "Linux ") << version;
  EXPECT_GT(version.size(), 6u) << version;
  auto ref =
      ask(llvm::json::Object{{"op", "run"}, {"id", 1}, {"iterations", 2}, {"reference", true}});
  EXPECT_EQ(ref.getString("status"), "ok");
  auto same = ask(llvm::json::Object{{"op", "run"}, {"id", 1}, {"iterations", 2}});
  EXPECT_EQ(same.getString("status"), "ok");
  auto wrong = ask(
      llvm::json::Object{{"op", "run"}, {"id", 2}, {"iterations", 1}, {"reference_task", good}});
  EXPECT_EQ(wrong.getString("status"), "wrong");
  EXPECT_GT(wrong.getNumber("error").value_or(0), 0.1);
  // A schedule the kernel cannot take is a compile-error, not a dead runner.
  auto broken = ask(llvm::json::Object{
      {"op", "compile"}, {"id", 3}, {"task", good}, {"schedule", "#kiln.schedule<nonsense>"}});
  EXPECT_NE(broken.getString("status"), "ok");
  EXPECT_EQ(ask(llvm::json::Object{{"op", "forget"}, {"id", 2}}).getString("status"), "ok");
  // A runner that dies is reported as crashed, not waited for.
  runner.stop();
  llvm::json::Object reply;
  EXPECT_EQ(runner.receive(1, reply), tuner::Outcome::Crashed);
}

INSTANTIATE_TEST_SUITE_P(Devices, RunnerTest, ::testing::Values("native", "native-jit", "node"));

// The native runner (the library runner, AOT): a candidate that crashes or
// hangs costs that candidate, not the runner, whose other candidates and
// references stay. The faults are the runner's test-only knobs
// (KILN_TUNE_TEST_CRASH / _HANG: the N-th candidate that is not its task's
// reference aborts or sleeps on its first run).
TEST_F(TunerTest, LibraryRunnerSurvivesACrashAndAHang) {
  std::string runnerExe = kilnTunePath();
  auto command = tuner::runnerCommand("cpu", "native", runnerExe);
  ASSERT_TRUE(bool(command)) << llvm::toString(command.takeError());
  ASSERT_FALSE(command->empty());
  std::string task = path("task.mlir");
  std::ofstream(task) << R"mlir(
func.func @main(%x: tensor<64xf32>) -> tensor<64xf32> {
  %0 = kiln.kernel "k" (%x) : (tensor<64xf32>) -> tensor<64xf32> attributes {kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = generic, vector_width = 4, channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = pixel_major>} {
  ^bb0(%a: tensor<64xf32>):
    %r = tosa.exp %a : (tensor<64xf32>) -> tensor<64xf32>
    kiln.yield %r : tensor<64xf32>
  }
  return %0 : tensor<64xf32>
})mlir";
  auto schedule = [](int unroll) {
    return "#kiln.schedule<version = 1, mode = template, pattern = generic, vector_width = 4, "
           "channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = " +
           std::to_string(unroll) + ", parallel = [], compute_at = row, order = pixel_major>";
  };
  ::setenv("KILN_TUNE_TEST_CRASH", "1", 1);
  ::setenv("KILN_TUNE_TEST_HANG", "2", 1);
  ::setenv("KILN_TUNE_RUN_TIMEOUT", "1", 1);
  tuner::RunnerProcess runner(*command, 1);
  auto ask = [&](llvm::json::Object request) { return askRunner(runner, std::move(request)); };
  auto compile = [&](int id, int unroll) {
    auto reply = ask(llvm::json::Object{
        {"op", "compile"}, {"id", id}, {"task", task}, {"schedule", schedule(unroll)}});
    return (reply.getString("status").value_or("") + " " + reply.getString("message").value_or(""))
        .str();
  };
  EXPECT_EQ(compile(1, 1), "ok "); // the reference
  EXPECT_EQ(compile(2, 2), "ok "); // candidate 1: crashes
  EXPECT_EQ(compile(3, 4), "ok "); // candidate 2: hangs
  ::unsetenv("KILN_TUNE_TEST_CRASH");
  ::unsetenv("KILN_TUNE_TEST_HANG");
  ::unsetenv("KILN_TUNE_RUN_TIMEOUT");
  EXPECT_EQ(
      ask(llvm::json::Object{{"op", "run"}, {"id", 1}, {"iterations", 2}, {"reference", true}})
          .getString("status"),
      "ok");
  auto crashed = ask(llvm::json::Object{{"op", "run"}, {"id", 2}, {"iterations", 2}});
  EXPECT_EQ(crashed.getString("status"), "crash");
  auto hung = ask(llvm::json::Object{{"op", "run"}, {"id", 3}, {"iterations", 2}});
  EXPECT_EQ(hung.getString("status"), "timeout");
  // The runner and its reference are still there.
  auto again = ask(llvm::json::Object{{"op", "run"}, {"id", 1}, {"iterations", 2}});
  EXPECT_EQ(again.getString("status"), "ok");
  EXPECT_EQ(runner.generation(), 1u);
}

// A model with random ops (TF.js RandomUniform: @main's kiln.rng state,
// advanced by every run) compared end to end: the template harness's
// reference and the tuned harness's outputs come from different processes
// after different numbers of runs, so they match only because the harness
// seeds the run it writes (task_set_seed(ctx, 0)). Without that, every
// comparison was "wrong" and the acceptance rejected every record.
TEST_F(TunerTest, ModelTimerComparesAModelWithRandomOps) {
  std::string runnerExe = kilnTunePath();
  auto command = tuner::runnerCommand("cpu", "native", runnerExe);
  ASSERT_TRUE(bool(command)) << llvm::toString(command.takeError());
  ASSERT_FALSE(command->empty());
  // kilnc --compile-to=schedules of x + RandomUniform([4, 5]), the add's
  // unroll a parameter (the "tuned" build differs from the template's).
  auto model = [](int unroll) {
    std::string schedule =
        "#kiln.schedule<version = 1, mode = template, pattern = generic, vector_width = 4, "
        "channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = " +
        std::to_string(unroll) + ", parallel = [], compute_at = row, order = pixel_major>";
    return R"mlir(
func.func @main(%x: tensor<4x5xf32> {kiln.name = "x"}, %rng: tensor<4xi32> {kiln.rng}) -> (tensor<4x5xf32> {kiln.name = "y"}) {
  %0 = kiln.kernel "custom_0" (%rng) : (tensor<4xi32>) -> tensor<4x5xf32> attributes {kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = generic, vector_width = 4, channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = pixel_major>} {
  ^bb0(%r: tensor<4xi32>):
    %u = tosa.custom %r {domain_name = "kiln", implementation_attrs = "dist=uniform;key=7", operator_name = "kiln.random"} : (tensor<4xi32>) -> tensor<4x5xf32>
    kiln.yield %u : tensor<4x5xf32>
  }
  %1 = kiln.kernel "add_1" (%x, %0) : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32> attributes {kiln.schedule = )mlir" +
           schedule + R"mlir(} {
  ^bb0(%a: tensor<4x5xf32>, %b: tensor<4x5xf32>):
    %s = tosa.add %a, %b : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
    kiln.yield %s : tensor<4x5xf32>
  }
  return %1 : tensor<4x5xf32>
})mlir";
  };
  std::string before = path("model_before.mlir"), after = path("model_step0.mlir");
  std::ofstream(before) << model(1);
  std::ofstream(after) << model(2);
  tuner::TuneOptions options;
  options.runnerCommand = *command;
  options.workDir = dir.str().str();
  tuner::ModelTimer timer(options, before);
  tuner::ModelPairs pairs = timer.compare(after, 3);
  EXPECT_EQ(pairs.status, "ok");
  EXPECT_EQ(pairs.afterMs.size(), 3u);
  EXPECT_EQ(pairs.beforeMs.size(), 3u);
}

} // namespace
