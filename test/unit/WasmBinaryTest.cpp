//===- WasmBinaryTest.cpp - reading a module's imports --------------------===//
#include "targets/wasm/WasmBinary.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string bytes(std::initializer_list<unsigned char> list) {
  return std::string(list.begin(), list.end());
}

const std::string kHeader = bytes({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});

// A type section (one () -> () type) and an import section holding a
// function env.malloc, a memory env.mem (limits with a maximum), a global
// env.sp and a table env.tab.
std::string moduleWithImports() {
  std::string type = bytes({0x01, 0x04, 0x01, 0x60, 0x00, 0x00});
  std::string imports = bytes({0x04, // four imports
                               0x03, 'e',  'n', 'v',  0x06, 'm',  'a', 'l',  'l',  'o',  'c',  0x00,
                               0x00, 0x03, 'e', 'n',  'v',  0x03, 'm', 'e',  'm',  0x02, 0x01, 0x01,
                               0x02, 0x03, 'e', 'n',  'v',  0x02, 's', 'p',  0x03, 0x7f, 0x01, 0x03,
                               'e',  'n',  'v', 0x03, 't',  'a',  'b', 0x01, 0x70, 0x00, 0x00});
  return kHeader + type + bytes({0x02, static_cast<unsigned char>(imports.size())}) + imports;
}

TEST(WasmBinaryTest, ListsEveryKindOfImport) {
  auto imports = kiln::wasm::listImports(moduleWithImports());
  ASSERT_TRUE(bool(imports)) << llvm::toString(imports.takeError());
  EXPECT_EQ(*imports, (std::vector<std::string>{"env.malloc", "env.mem", "env.sp", "env.tab"}));
}

// A threaded module imports its memory: the loader creates it that size.
TEST(WasmBinaryTest, ReadsTheImportedMemorysMinimum) {
  auto pages = kiln::wasm::importedMemoryPages(moduleWithImports());
  ASSERT_TRUE(bool(pages)) << llvm::toString(pages.takeError());
  EXPECT_EQ(*pages, 1u);
  auto none = kiln::wasm::importedMemoryPages(kHeader);
  ASSERT_TRUE(bool(none)) << llvm::toString(none.takeError());
  EXPECT_EQ(*none, 0u);
  auto bad = kiln::wasm::importedMemoryPages("\x7f");
  EXPECT_FALSE(bool(bad));
  llvm::consumeError(bad.takeError());
}

TEST(WasmBinaryTest, AModuleWithoutImportSectionImportsNothing) {
  auto imports = kiln::wasm::listImports(kHeader + bytes({0x01, 0x04, 0x01, 0x60, 0x00, 0x00}));
  ASSERT_TRUE(bool(imports)) << llvm::toString(imports.takeError());
  EXPECT_TRUE(imports->empty());
}

TEST(WasmBinaryTest, RefusesBadMagicAndTruncation) {
  auto notWasm = kiln::wasm::listImports("\x7f"
                                         "ELF and more bytes");
  ASSERT_FALSE(bool(notWasm));
  EXPECT_NE(llvm::toString(notWasm.takeError()).find("bad magic"), std::string::npos);

  std::string full = moduleWithImports();
  for (size_t cut : {size_t(4), size_t(9), full.size() - 1}) {
    auto truncated = kiln::wasm::listImports(llvm::StringRef(full).take_front(cut));
    ASSERT_FALSE(bool(truncated)) << "cut at " << cut;
    EXPECT_NE(llvm::toString(truncated.takeError()).find("not a valid WebAssembly module"),
              std::string::npos);
  }
  // A section claiming more bytes than the file has.
  auto oversized = kiln::wasm::listImports(kHeader + bytes({0x02, 0x7f, 0x00}));
  ASSERT_FALSE(bool(oversized));
  EXPECT_NE(llvm::toString(oversized.takeError()).find("unexpected end"), std::string::npos);
}

TEST(WasmBinaryTest, RefusesAnUnknownImportKind) {
  std::string imports = bytes({0x01, 0x01, 'e', 0x01, 'x', 0x09, 0x00});
  auto result = kiln::wasm::listImports(
      kHeader + bytes({0x02, static_cast<unsigned char>(imports.size())}) + imports);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("unknown import kind 9"), std::string::npos);
}

} // namespace
