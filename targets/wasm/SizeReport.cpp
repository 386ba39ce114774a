//===- SizeReport.cpp - what a WASM artifact weighs -----------------------===//
#include "targets/wasm/SizeReport.h"

#include "compiler/support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <zlib.h>

namespace kiln::wasm {

llvm::Expected<uint64_t> gzipSize(llvm::StringRef data) {
  z_stream z{};
  // 15 + 16: a 32 KiB window with gzip's header and trailer, as gzip writes.
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return makeError("zlib: deflateInit2 failed");
  std::vector<unsigned char> out(64 * 1024);
  uint64_t total = 0;
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int status;
  do {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    status = deflate(&z, Z_FINISH);
    total += out.size() - z.avail_out;
  } while (status == Z_OK);
  deflateEnd(&z);
  if (status != Z_STREAM_END)
    return makeError("zlib: deflate failed");
  return total;
}

llvm::Expected<Bytes> measure(llvm::StringRef data) {
  auto gz = gzipSize(data);
  if (!gz)
    return gz.takeError();
  return Bytes{data.size(), *gz};
}

llvm::Expected<Bytes> measureCode(llvm::StringRef module, llvm::StringRef weights) {
  if (weights.empty())
    return measure(module);
  size_t at = module.find(weights);
  if (at == llvm::StringRef::npos)
    return makeError("internal: the embedded weights are not in the module");
  std::string code = (module.substr(0, at) + module.substr(at + weights.size())).str();
  return measure(code);
}

static llvm::json::Object json(const Bytes &b) {
  return llvm::json::Object{{"raw", int64_t(b.raw)}, {"gzip", int64_t(b.gzip)}};
}

std::string toJson(const SizeReport &r) {
  Bytes codeAndJs{r.code.raw + r.js.raw, r.code.gzip + r.js.gzip};
  llvm::json::Object root{
      {"format", "kiln-wasm-size-v1"},
      {"model", r.model},
      {"code", json(r.code)},
      {"fallbackCode",
       r.fallbackCode ? llvm::json::Value(json(*r.fallbackCode)) : llvm::json::Value(nullptr)},
      {"weights", json(r.weights)},
      {"weightsEmbedded", r.weightsEmbedded},
      {"js", json(r.js)},
      {"types", json(r.types)},
      {"codeAndJs", json(codeAndJs)},
      {"goal", llvm::json::Object{{"codeAndJsRawBelow", int64_t(SizeReport::kGoalBytes)},
                                  {"met", r.meetsGoal()}}},
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return text;
}

void print(const SizeReport &r, llvm::raw_ostream &os) {
  auto line = [&](llvm::StringRef what, const Bytes &b) {
    os << llvm::formatv("  {0,-22} {1,10} {2,10}\n", what, b.raw, b.gzip);
  };
  os << "kilnc: size of " << r.model << " for wasm (bytes):\n"
     << llvm::formatv("  {0,-22} {1,10} {2,10}\n", "", "raw", "gzip");
  line("code (SIMD module)", r.code);
  if (r.fallbackCode)
    line("code (fallback module)", *r.fallbackCode);
  line("JS loader", r.js);
  line("code + JS", {r.code.raw + r.js.raw, r.code.gzip + r.js.gzip});
  line(r.weightsEmbedded ? "weights (embedded)" : "weights (external)", r.weights);
  os << llvm::formatv("  goal: code + JS under {0} bytes raw: {1}\n", SizeReport::kGoalBytes,
                      r.meetsGoal() ? "met" : "NOT met");
}

} // namespace kiln::wasm
