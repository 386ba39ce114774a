//===- Template.h - filling the generated C's templates ----------*- C++ -*-===//
//
// The generated NAME.c and NAME.h are filled in from templates
// (targets/host/templates/*.in, embedded in the compiler) so that their fixed
// structure reads as C. The syntax, line-based and deliberately small:
//
//   @name@            anywhere: the text of `name`
//   a line `@name@`   a block: replaced by the text (empty, or whole lines)
//   `@if name@` (or `@if !name@`), `@else@`, `@endif@` on lines of their
//                     own: kept or dropped by the flag `name`; they nest
//   a line `@# ...`   a comment about the template, dropped
//
// A name without a value is a bug in the emitter, not in the model: it
// aborts, and the unit tests fill every template in every configuration.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_HOST_TEMPLATE_H
#define KILN_TARGETS_HOST_TEMPLATE_H

#include "llvm/ADT/StringRef.h"

#include <map>
#include <string>

namespace kiln::host {

struct TemplateValues {
  std::map<std::string, std::string, std::less<>> text;
  std::map<std::string, bool, std::less<>> flags;
};

std::string fillTemplate(llvm::StringRef templateText, const TemplateValues &values);

} // namespace kiln::host

#endif
