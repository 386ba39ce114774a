//===- onnx_text_to_binary.cpp - ONNX text form to a binary .onnx ---------===//
//
// Test helper: ONNX Runtime reads only binary models, the tests are written in
// the text form libonnx parses. Usage: onnx_text_to_binary in.onnxtext out.onnx
//
//===----------------------------------------------------------------------===//
#include "onnx/defs/parser.h"

#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: onnx_text_to_binary in.onnxtext out.onnx\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  onnx::ModelProto model;
  auto status = onnx::OnnxParser::Parse(model, text.str().c_str());
  if (!in || !status.IsOK()) {
    std::cerr << argv[1] << ": " << status.ErrorMessage() << "\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary);
  out << model.SerializeAsString();
  return out ? 0 : 1;
}
