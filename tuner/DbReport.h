//===- DbReport.h - a tuning database, shown and merged ---------*- C++ -*-===//
//
// `kiln-tune show` and `kiln-tune merge` as library calls (the tool only
// parses their arguments): what kilnc --tuning-db takes from a database,
// per kernel and target, and several databases merged into one.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_DBREPORT_H
#define KILN_TUNER_DBREPORT_H

#include "codegen/schedule/TuningDb.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln::tuner {

/// The database at `path`, which must exist (a tune creates its own; show,
/// merge and --replay read one that someone gave): an error names it,
/// after `what` ("--replay: "), and each warning (a malformed line, with
/// its number) goes to `diag`.
llvm::Expected<codegen::TuningDb> readTuningDb(llvm::StringRef path, llvm::raw_ostream &diag,
                                               llvm::StringRef what = "");

/// Per kernel and target, what kilnc --tuning-db takes, decided by the
/// function kilnc decides with (TuningDb::choose), as a table on `out`;
/// the database's warnings (malformed lines) go to `diag`. With the model
/// (`modelPath` not empty), each kernel's template today comes from kilnc's
/// own schedules phase (the choices applyTuningDb made); without it, the
/// template the database last measured stands for it
/// (TuningDb::lastBaseline): right until a template changes, which only
/// the model can tell.
llvm::Error showTuningDb(llvm::StringRef dbPath, llvm::StringRef modelPath, llvm::raw_ostream &out,
                         llvm::raw_ostream &diag);

/// The databases at `inputs` merged into `outPath`, each record once
/// (codegen::mergeTuningDbs); a line on `out` counts records in and out,
/// the inputs' warnings go to `diag`.
llvm::Error mergeTuningDbFiles(llvm::ArrayRef<std::string> inputs, llvm::StringRef outPath,
                               llvm::raw_ostream &out, llvm::raw_ostream &diag);

} // namespace kiln::tuner

#endif
