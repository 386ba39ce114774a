//===- SeedTool.cpp - ONNX seeds in the other form ------------------------===//
//
// fuzz/make_corpus.py's helper: the lit tests' models are text (.onnxtext),
// ONNX's conformance models binary; each fuzz target wants both kinds.
//   kiln-fuzz-seed-tool binary in.onnxtext out.onnx [in out]...
//   kiln-fuzz-seed-tool text in.onnx out.onnxtext [in out]...
//   kiln-fuzz-seed-tool dump in.onnx        (protobuf's text dump, to triage)
// Writes nothing for a model that has no form in the other (libonnx 1.12
// prints graphs, not every attribute or initializer, and the text must parse
// back); the exit status is 1 if any was left out.
//
//===----------------------------------------------------------------------===//
#include "onnx/defs/parser.h"
#include "onnx/defs/printer.h"
#include "onnx/onnx_pb.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

bool readFile(const char *path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  out = bytes.str();
  return bool(in);
}

bool writeFile(const char *path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  return bool(out);
}

bool parseText(const std::string &text, onnx::ModelProto &model) {
  try {
    return onnx::OnnxParser::Parse(model, text.c_str()).IsOK();
  } catch (const std::exception &) {
    return false;
  }
}

// The model header libonnx 1.12 cannot print, then the graph it can.
std::string printText(const onnx::ModelProto &model) {
  std::ostringstream os;
  os << "<\n  ir_version: " << model.ir_version() << ",\n  opset_import: [";
  for (int i = 0; i < model.opset_import_size(); ++i)
    os << (i ? ", " : "") << '"' << model.opset_import(i).domain()
       << "\" : " << model.opset_import(i).version();
  os << "]\n>\n" << model.graph() << "\n";
  return os.str();
}

} // namespace

// One model; false when it has no form in the other.
bool convert(const std::string &mode, const char *inPath, const char *outPath) {
  std::string in;
  onnx::ModelProto model;
  if (!readFile(inPath, in))
    return false;
  if (mode == "binary")
    return parseText(in, model) && writeFile(outPath, model.SerializeAsString());
  if (!model.ParseFromString(in))
    return false;
  std::string text = printText(model);
  onnx::ModelProto back;
  return parseText(text, back) && writeFile(outPath, text);
}

int main(int argc, char **argv) {
  if (argc == 3 && std::string(argv[1]) == "dump") {
    std::string in;
    onnx::ModelProto model;
    if (!readFile(argv[2], in) || !model.ParseFromString(in))
      return 1;
    std::cout << model.DebugString();
    return 0;
  }
  std::string mode = argc >= 4 && argc % 2 == 0 ? argv[1] : "";
  if (mode != "binary" && mode != "text") {
    std::cerr << "usage: kiln-fuzz-seed-tool binary|text IN OUT [IN OUT]...\n";
    return 2;
  }
  bool all = true;
  for (int i = 2; i + 1 < argc; i += 2)
    all &= convert(mode, argv[i], argv[i + 1]);
  return all ? 0 : 1;
}
