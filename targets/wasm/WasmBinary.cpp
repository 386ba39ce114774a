//===- WasmBinary.cpp - reading what a linked .wasm imports ---------------===//
#include "targets/wasm/WasmBinary.h"

namespace kiln::wasm {

namespace {

/// A bounds-checked cursor over the binary: every read fails cleanly past
/// the end instead of reading outside it.
class Reader {
public:
  Reader(llvm::StringRef data) : data(data) {}
  bool atEnd() const { return pos >= data.size(); }
  size_t offset() const { return pos; }

  llvm::Expected<uint8_t> byte() {
    if (pos >= data.size())
      return truncated();
    return static_cast<uint8_t>(data[pos++]);
  }
  llvm::Expected<uint64_t> uleb() {
    uint64_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      auto b = byte();
      if (!b)
        return b.takeError();
      value |= uint64_t(*b & 0x7f) << shift;
      if (!(*b & 0x80))
        return value;
    }
    return malformed("an integer longer than 64 bits");
  }
  llvm::Expected<llvm::StringRef> bytes(uint64_t n) {
    if (n > data.size() - pos)
      return truncated();
    llvm::StringRef out = data.substr(pos, n);
    pos += n;
    return out;
  }
  llvm::Expected<llvm::StringRef> name() {
    auto n = uleb();
    if (!n)
      return n.takeError();
    return bytes(*n);
  }
  /// Reads a limits field; its minimum goes to `*minimum` when given.
  llvm::Error limits(uint64_t *minimum = nullptr) {
    auto flags = byte();
    if (!flags)
      return flags.takeError();
    auto min = uleb();
    if (!min)
      return min.takeError();
    if (minimum)
      *minimum = *min;
    if (*flags & 1)
      if (auto max = uleb(); !max)
        return max.takeError();
    return llvm::Error::success();
  }

  llvm::Error truncated() const { return malformed("unexpected end of the binary"); }
  llvm::Error malformed(const llvm::Twine &what) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "not a valid WebAssembly module: " + what + " at byte " +
                                       llvm::Twine(pos));
  }

private:
  llvm::StringRef data;
  size_t pos = 0;
};

/// Skips one import's description (what kind of thing it is).
llvm::Error skipImportDesc(Reader &r, uint8_t kind, uint64_t *memoryPages) {
  switch (kind) {
  case 0: // function: its type index
    return r.uleb().takeError();
  case 1: // table: element type, limits
    if (auto type = r.byte(); !type)
      return type.takeError();
    return r.limits();
  case 2: // memory
    return r.limits(memoryPages);
  case 3: // global: value type, mutability
    if (auto type = r.byte(); !type)
      return type.takeError();
    return r.byte().takeError();
  case 4: // tag: attribute, type index
    if (auto attr = r.byte(); !attr)
      return attr.takeError();
    return r.uleb().takeError();
  }
  return r.malformed("unknown import kind " + llvm::Twine(unsigned(kind)));
}

} // namespace

/// Every import's name, and the minimum of an imported memory (if any).
static llvm::Expected<std::vector<std::string>> readImports(llvm::StringRef binary,
                                                            uint64_t *memoryPages) {
  Reader r(binary);
  auto header = r.bytes(8);
  if (!header)
    return header.takeError();
  if (*header != llvm::StringRef("\0asm\1\0\0\0", 8))
    return r.malformed("bad magic or version");
  std::vector<std::string> imports;
  while (!r.atEnd()) {
    auto id = r.byte();
    if (!id)
      return id.takeError();
    auto size = r.uleb();
    if (!size)
      return size.takeError();
    auto body = r.bytes(*size);
    if (!body)
      return body.takeError();
    if (*id != 2) // the import section
      continue;
    Reader s(*body);
    auto count = s.uleb();
    if (!count)
      return count.takeError();
    for (uint64_t i = 0; i < *count; ++i) {
      auto module = s.name();
      if (!module)
        return module.takeError();
      auto field = s.name();
      if (!field)
        return field.takeError();
      auto kind = s.byte();
      if (!kind)
        return kind.takeError();
      if (auto err = skipImportDesc(s, *kind, memoryPages))
        return std::move(err);
      imports.push_back((*module + "." + *field).str());
    }
  }
  return imports;
}

llvm::Expected<std::vector<std::string>> listImports(llvm::StringRef binary) {
  return readImports(binary, nullptr);
}

llvm::Expected<uint64_t> importedMemoryPages(llvm::StringRef binary) {
  uint64_t pages = 0;
  if (auto imports = readImports(binary, &pages); !imports)
    return imports.takeError();
  return pages;
}

} // namespace kiln::wasm
