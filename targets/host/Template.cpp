//===- Template.cpp - filling the generated C's templates -----------------===//
#include "targets/host/Template.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ErrorHandling.h"

#include <vector>

namespace kiln::host {

[[noreturn]] static void templateBug(const llvm::Twine &message) {
  llvm::report_fatal_error("internal: host template: " + message, /*gen_crash_diag=*/false);
}

static bool isName(llvm::StringRef s) {
  return !s.empty() && llvm::all_of(s, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

template <typename Map>
static const typename Map::mapped_type &lookup(const Map &map, llvm::StringRef name,
                                               const char *what) {
  auto it = map.find(name);
  if (it == map.end())
    templateBug(llvm::Twine("no ") + what + " '" + name + "'");
  return it->second;
}

/// `line` with every @name@ replaced by its text.
static void appendLine(std::string &out, llvm::StringRef line, const TemplateValues &values) {
  while (!line.empty()) {
    size_t open = line.find('@');
    out += line.take_front(open).str();
    if (open == llvm::StringRef::npos)
      return;
    size_t close = line.find('@', open + 1);
    llvm::StringRef name = line.slice(open + 1, close);
    if (close == llvm::StringRef::npos || !isName(name))
      templateBug("stray '@' in '" + line + "'");
    out += lookup(values.text, name, "text");
    line = line.drop_front(close + 1);
  }
}

std::string fillTemplate(llvm::StringRef templateText, const TemplateValues &values) {
  std::string out;
  // For each open @if, whether its current branch is kept.
  std::vector<bool> branches;
  auto kept = [&] { return llvm::all_of(branches, [](bool b) { return b; }); };
  for (llvm::StringRef rest = templateText; !rest.empty();) {
    auto [line, tail] = rest.split('\n');
    bool newline = line.size() < rest.size();
    rest = tail;
    if (line.starts_with("@#"))
      continue;
    if (line.starts_with("@if ") && line.ends_with("@")) {
      llvm::StringRef name = line.drop_front(4).drop_back(1);
      bool negate = name.consume_front("!");
      branches.push_back(lookup(values.flags, name, "flag") != negate);
      continue;
    }
    if (line == "@else@" || line == "@endif@") {
      if (branches.empty())
        templateBug(line + " without @if");
      if (line == "@else@")
        branches.back() = !branches.back();
      else
        branches.pop_back();
      continue;
    }
    if (!kept())
      continue;
    llvm::StringRef block = line.size() > 2 && line.starts_with("@") && line.ends_with("@")
                                ? line.drop_front().drop_back()
                                : llvm::StringRef();
    if (isName(block)) {
      const std::string &text = lookup(values.text, block, "text");
      if (!text.empty() && text.back() != '\n')
        templateBug("block '" + block + "' does not end a line");
      out += text;
      continue;
    }
    appendLine(out, line, values);
    if (newline)
      out += '\n';
  }
  if (!branches.empty())
    templateBug("@if without @endif");
  return out;
}

} // namespace kiln::host
