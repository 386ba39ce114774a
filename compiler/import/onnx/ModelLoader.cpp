//===- ModelLoader.cpp - ONNX files into ModelProtos ----------------------===//
#include "compiler/import/onnx/ModelLoader.h"

#include "compiler/import/onnx/InferenceGuards.h"
#include "compiler/import/onnx/ModelChecks.h"
#include "compiler/support/Error.h"
#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/version_converter/convert.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <google/protobuf/io/coded_stream.h>

#include <limits>
#include <optional>
#include <vector>

namespace kiln::onnx_import {

// libonnx's messages span lines ("...\n\n==> Context: ..."): make one line.
static std::string oneLine(llvm::StringRef message) {
  llvm::SmallVector<llvm::StringRef> lines;
  message.split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::string out;
  for (llvm::StringRef line : lines) {
    line = line.trim();
    if (line.consume_front("==> Context:"))
      line = line.trim();
    if (!line.empty())
      out += (out.empty() ? "" : "; ") + line.str();
  }
  return out;
}

// "[ParseError at position (line: 3 column: 5)]\nError context: ctx\nwhat"
// becomes "3:5: what (near 'ctx')".
static std::string parseErrorLine(llvm::StringRef message) {
  llvm::StringRef rest = message;
  std::string position;
  if (rest.consume_front("[ParseError at position (line: ")) {
    auto [line, after] = rest.split(" column: ");
    auto [column, tail] = after.split(")]");
    position = line.str() + ":" + column.str() + ": ";
    rest = tail.ltrim();
  }
  std::string context;
  if (rest.consume_front("Error context:")) {
    auto [ctx, tail] = rest.split('\n');
    context = ctx.trim().str();
    rest = tail;
  }
  std::string out = position + "parse error: " + oneLine(rest);
  if (!context.empty())
    out += " (in '" + context + "')";
  return out;
}

static llvm::Expected<std::unique_ptr<onnx::ModelProto>> parseText(llvm::StringRef text) {
  auto model = std::make_unique<onnx::ModelProto>();
  std::string source = text.str(); // the parser wants a NUL-terminated string
  try {
    onnx::OnnxParser parser(source.c_str());
    onnx::Common::Status status = parser.Parse(*model);
    if (!status.IsOK())
      return makeError(parseErrorLine(status.ErrorMessage()));
    if (!parser.EndOfInput())
      return makeError("parse error: unexpected text after the model's graph");
  } catch (const std::exception &e) { // e.g. std::stoll on a huge number
    return makeError("parse error: " + oneLine(e.what()));
  }
  return std::move(model);
}

// How many levels of subgraphs (If, Loop, Scan bodies) `data`, a ModelProto
// that protobuf refused, nests, and how many messages deep that goes (protobuf
// counts one level per message below the model: graph, node, attribute,
// graph, ...). Zeros when the bytes are not well-formed protobuf. Follows
// only the fields that nest graphs, with its own stack, so 10,000 levels cost
// no recursion.
static std::pair<int, int> subgraphDepth(llvm::StringRef data) {
  enum Kind { Model, Graph, Node, Attribute };
  struct Frame {
    Kind kind;
    size_t end;
  };
  auto child = [](Kind kind, uint64_t field) -> std::optional<Kind> {
    if ((kind == Model && field == 7) || (kind == Attribute && (field == 6 || field == 11)))
      return Graph; // ModelProto.graph, AttributeProto.g and .graphs
    if (kind == Graph && field == 1)
      return Node; // GraphProto.node
    if (kind == Node && field == 5)
      return Attribute; // NodeProto.attribute
    return std::nullopt;
  };
  size_t pos = 0;
  auto varint = [&](uint64_t &value) {
    value = 0;
    for (int shift = 0; shift < 64 && pos < data.size(); shift += 7) {
      uint8_t byte = data[pos++];
      value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false;
  };
  std::vector<Frame> stack = {{Model, data.size()}};
  int graphs = 0, deepestGraphs = 0, deepestMessages = 0;
  while (!stack.empty()) {
    if (pos > stack.back().end)
      return {0, 0};
    if (pos == stack.back().end) {
      graphs -= stack.back().kind == Graph;
      stack.pop_back();
      continue;
    }
    uint64_t key, value;
    if (!varint(key))
      return {0, 0};
    switch (key & 7) {
    case 0:
      if (!varint(value))
        return {0, 0};
      break;
    case 1:
      pos += 8;
      break;
    case 5:
      pos += 4;
      break;
    case 2:
      if (!varint(value) || value > stack.back().end - std::min(pos, stack.back().end))
        return {0, 0};
      if (auto kind = child(stack.back().kind, key >> 3)) {
        stack.push_back({*kind, pos + value});
        graphs += *kind == Graph;
        deepestGraphs = std::max(deepestGraphs, graphs - 1);
        deepestMessages = std::max(deepestMessages, int(stack.size()) - 1);
      } else {
        pos += value;
      }
      break;
    default: // groups: not in ONNX
      return {0, 0};
    }
  }
  return {deepestGraphs, deepestMessages};
}

static llvm::Expected<std::unique_ptr<onnx::ModelProto>> parseBinary(llvm::StringRef data) {
  if (data.empty())
    return makeError("the file is empty, not an ONNX model");
  if (data.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return makeError("the file is over 2 GiB; store the weights as ONNX external data");
  auto model = std::make_unique<onnx::ModelProto>();
  if (!model->ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    // A valid model nested deeper than protobuf's recursion limit does not
    // parse either: say which it is.
    int limit = google::protobuf::io::CodedInputStream::GetDefaultRecursionLimit();
    auto [levels, messages] = subgraphDepth(data);
    if (messages > limit)
      return makeError("the model nests subgraphs (If, Loop or Scan bodies) " +
                       llvm::Twine(levels) + " levels deep, " + llvm::Twine(messages) +
                       " protobuf messages, beyond the " + llvm::Twine(limit) +
                       " that protobuf parses");
    return makeError("not an ONNX model, or a truncated one (the protobuf does not parse)");
  }
  // Random bytes sometimes parse as a protobuf with a few unknown fields: a
  // real model has an IR version and a graph with something in it.
  const auto &graph = model->graph();
  if (model->ir_version() <= 0 || !model->has_graph() ||
      (graph.node_size() == 0 && graph.output_size() == 0))
    return makeError("not an ONNX model (no IR version or no graph with nodes and outputs)");
  return std::move(model);
}

llvm::Expected<std::unique_ptr<onnx::ModelProto>> loadModelFile(llvm::StringRef path) {
  // protobuf parses at most 2 GiB: a larger file is refused by its size,
  // before anything reads it.
  uint64_t size = 0;
  if (!llvm::sys::fs::file_size(path, size) &&
      size > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    return makeError("the file is " + llvm::Twine(size) +
                     " bytes, over the 2 GiB protobuf parses; store the weights as ONNX external "
                     "data");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("cannot read the file: " + buffer.getError().message());
  llvm::StringRef data = (*buffer)->getBuffer();
  if (llvm::sys::path::extension(path) == ".onnxtext") {
    if (data.trim().empty())
      return makeError("the file is empty, not an ONNX model");
    return parseText(data);
  }
  return parseBinary(data);
}

llvm::Error prepareModel(onnx::ModelProto &model, llvm::StringRef path,
                         const OnnxImportOptions &options) {
  // Kiln's own checks come first: each lists every offender in one line,
  // where the checker would stop at the first.
  supplyDefaultOpset(model, kMaxOpset);
  if (llvm::Error err = checkOpsets(model, kMaxOpset))
    return err;
  if (llvm::Error err = checkOps(model))
    return err;
  if (llvm::Error err = checkNamesDefined(model))
    return err;
  if (llvm::Error err = checkAttributeValues(model))
    return err;
  if (llvm::Error err = checkRawData(model))
    return err;
  if (llvm::Error err = pinInputShapes(model, options))
    return err;

  try {
    // From a file, the checker finds external data beside the model; the
    // text form has none, and its ModelProto is checked directly.
    if (llvm::sys::path::extension(path) == ".onnxtext")
      onnx::checker::check_model(model);
    else
      onnx::checker::check_model(path.str());
  } catch (const std::exception &e) {
    return makeError("invalid model: " + oneLine(e.what()));
  }

  int64_t opset = 0;
  for (const auto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  bool converted = opset < kMinOpset;
  // Strict: a node whose shapes do not fit its op is an invalid model.
  onnx::ShapeInferenceOptions inference(/*check_type=*/true, /*error_mode=*/1,
                                        /*enable_data_propagation=*/true);
  if (converted) {
    // The version converter adapts nodes by shapes it does not check (its
    // Gemm 6 -> 7 adapter read the first dimension of a rank-0 input and
    // crashed): infer and check them at the model's own opset first.
    try {
      onnx::shape_inference::InferShapes(model, guardedSchemaRegistry(), inference);
    } catch (const std::exception &e) {
      return makeError("shape inference failed (at opset " + llvm::Twine(opset) +
                       ", before converting the model to opset " + llvm::Twine(kMinOpset) +
                       "): " + oneLine(e.what()));
    }
    try {
      model = onnx::version_conversion::ConvertVersion(model, kMinOpset);
    } catch (const std::exception &e) {
      return makeError("cannot convert the model from opset " + llvm::Twine(opset) + " to opset " +
                       llvm::Twine(kMinOpset) + ": " + oneLine(e.what()));
    }
    // The converter may introduce ops (e.g. Unsqueeze for old broadcasting).
    if (llvm::Error err = checkOps(model))
      return err;
  }

  try {
    // libonnx's schemas, with checks in front of inference functions that
    // crash on malformed nodes (InferenceGuards.h).
    onnx::shape_inference::InferShapes(model, guardedSchemaRegistry(), inference);
  } catch (const std::exception &e) {
    // libonnx 1.12's converter mishandles some old broadcasts: say so.
    std::string after = converted ? " after libonnx converted the model from opset " +
                                        std::to_string(opset) + " to " + std::to_string(kMinOpset)
                                  : "";
    return makeError("shape inference failed" + after + ": " + oneLine(e.what()));
  }
  return llvm::Error::success();
}

} // namespace kiln::onnx_import
