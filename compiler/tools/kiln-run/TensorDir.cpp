//===- TensorDir.cpp - tensor directories: <name>.bin + manifest.json -----===//
#include "TensorDir.h"

#include "compiler/support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace kiln::jit;

namespace kiln {

static constexpr llvm::StringLiteral kFormat = "kiln-tensors-v1";

std::string tensorFileName(llvm::StringRef name) {
  std::string safe;
  for (char c : name)
    safe += llvm::isAlnum(c) || llvm::StringRef("._:+=-").contains(c) ? c : '_';
  size_t dots = 0;
  while (dots < safe.size() && safe[dots] == '.')
    ++dots;
  if (dots)
    safe.replace(0, dots, "_");
  return (safe.empty() ? "_" : safe) + ".bin";
}

// The manifest entry for `name`, if the directory has a manifest listing it.
static llvm::Expected<std::optional<llvm::json::Object>> manifestEntry(llvm::StringRef dir,
                                                                       llvm::StringRef name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "manifest.json");
  if (!llvm::sys::fs::exists(path))
    return std::nullopt;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeError(path + ": " + buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return makeError(path + ": not valid JSON (" + llvm::toString(json.takeError()) + ")");
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Array *tensors = root ? root->getArray("tensors") : nullptr;
  if (!root || root->getString("format") != kFormat || !tensors)
    return makeError(path + ": not a " + kFormat + " manifest");
  for (const llvm::json::Value &t : *tensors)
    if (const llvm::json::Object *entry = t.getAsObject())
      if (entry->getString("name") == name)
        return std::optional<llvm::json::Object>(*entry);
  return std::nullopt;
}

llvm::Expected<HostTensor> readTensor(llvm::StringRef dir, const HostTensor &spec) {
  HostTensor tensor = spec;
  std::string file = tensorFileName(spec.name);
  auto entry = manifestEntry(dir, spec.name);
  if (!entry)
    return entry.takeError();
  if (*entry) {
    llvm::json::Object &e = **entry;
    if (auto f = e.getString("file"))
      file = f->str();
    auto dtype = e.getString("dtype");
    const llvm::json::Array *shape = e.getArray("shape");
    std::vector<int64_t> dims;
    if (shape)
      for (const llvm::json::Value &d : *shape)
        dims.push_back(d.getAsInteger().value_or(-1));
    if (!dtype || *dtype != dtypeName(spec.dtype) || dims != spec.shape)
      return makeError("input '" + spec.name + "': the model expects " + dtypeName(spec.dtype) +
                       " " + shapeString(spec.shape) + ", the manifest in '" + dir + "' says " +
                       (dtype ? *dtype : "?") + " " + shapeString(dims));
  }
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, file);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return makeError("input '" + spec.name + "': " + path + ": " + buffer.getError().message());
  if ((*buffer)->getBufferSize() != spec.byteSize())
    return makeError("input '" + spec.name + "': " + path + " holds " +
                     llvm::Twine((*buffer)->getBufferSize()) + " bytes, expected " +
                     llvm::Twine(spec.byteSize()) + " for " + dtypeName(spec.dtype) + " " +
                     shapeString(spec.shape));
  std::memcpy(tensor.data.data(), (*buffer)->getBufferStart(), spec.byteSize());
  return tensor;
}

llvm::Error writeTensorDir(llvm::StringRef dir, const std::vector<HostTensor> &tensors) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError("cannot create '" + dir + "': " + ec.message());
  std::vector<std::string> lines;
  for (const HostTensor &t : tensors) {
    std::string file = tensorFileName(t.name);
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, file);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
    if (ec)
      return makeError("cannot write '" + path + "': " + ec.message());
    os.write(reinterpret_cast<const char *>(t.data.data()), t.data.size());
    llvm::json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    llvm::json::Object entry{{"name", t.name},
                             {"file", file},
                             {"dtype", dtypeName(t.dtype)},
                             {"shape", std::move(shape)}};
    std::string line;
    llvm::raw_string_ostream ls(line);
    ls << llvm::json::Value(std::move(entry));
    lines.push_back("  " + line);
  }
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "manifest.json");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  // One tensor a line, like tensor_dir.mjs writes it.
  os << "{\"format\": \"" << kFormat << "\", \"tensors\": [\n"
     << llvm::join(lines, ",\n") << "\n]}\n";
  return llvm::Error::success();
}

} // namespace kiln
