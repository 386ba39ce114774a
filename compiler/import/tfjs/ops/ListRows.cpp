//===- ListRows.cpp - TF's lists as stacked tensors -----------------------===//
#include "compiler/import/tfjs/ops/ListRows.h"

#include "compiler/import/tfjs/TosaHelpers.h"

using namespace mlir;

namespace kiln::tfjs_import::lists {

void define(OpContext &node, int output, Entry e) {
  node.graph().define(node.node().name + ":" + std::to_string(output), std::move(e));
}

llvm::Error defineOr(OpContext &node, int output, llvm::Expected<Entry> e) {
  if (!e)
    return e.takeError();
  define(node, output, std::move(*e));
  return llvm::Error::success();
}

std::vector<int64_t> elementShapeAttr(OpContext &node, llvm::StringRef name) {
  std::optional<std::vector<int64_t>> s = node.attrs().getShape(name);
  return s ? *s : std::vector<int64_t>{-2};
}

static Entry ofValue(Value v) { return Entry{v, std::nullopt, ""}; }
static Entry ofLiteral(Literal l) { return Entry{Value(), std::move(l), ""}; }

llvm::ArrayRef<int64_t> shapeOf(const Entry &e) {
  return e.literal ? e.literal->shape() : typeOf(e.value).getShape();
}

DType dtypeOfEntry(const Entry &e) {
  if (e.literal)
    return e.literal->dtype();
  std::optional<DType> d = llvm::expectedToOptional(dtypeOf(typeOf(e.value).getElementType()));
  return d ? *d : DType::F32;
}

Entry input(OpContext &node, int i) { return *node.graph().lookup(node.inputName(i)); }

static Value valueOf(OpContext &node, const Entry &e) {
  return e.value ? e.value : node.graph().createConstant(*e.literal, node.node().name + "_list");
}

// A list of unknown element shape: nothing written yet.
bool unshaped(llvm::ArrayRef<int64_t> list) { return list.size() == 2 && list[1] == 0; }

std::vector<int64_t> rowShape(llvm::ArrayRef<int64_t> list) {
  return std::vector<int64_t>(list.begin() + 1, list.end());
}

std::vector<int64_t> withRows(int64_t n, llvm::ArrayRef<int64_t> element) {
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), element.begin(), element.end());
  return shape;
}

// `n` rows of zeros of `element` shape (the unshaped list if unknown).
Entry zeros(OpContext &node, DType dtype, int64_t n, std::optional<std::vector<int64_t>> element) {
  if (!element)
    return ofLiteral(Literal::splat(dtype, {n, 0}, 0));
  std::vector<int64_t> shape = withRows(n, *element);
  if (numElements(shape) <= kMaxFoldElements)
    return ofLiteral(Literal::splat(dtype, shape, 0));
  return ofValue(splatConstant(node.builder(), node.loc(),
                               mlirTypeOf(node.builder().getContext(), dtype), 0, shape));
}

Entry reshaped(OpContext &node, const Entry &e, std::vector<int64_t> shape) {
  if (e.literal)
    return ofLiteral(e.literal->reshaped(std::move(shape)));
  return ofValue(reshape(node.builder(), node.loc(), e.value, shape));
}

// Rows [start, start + count) of a list.
Entry rows(OpContext &node, const Entry &list, int64_t start, int64_t count) {
  std::vector<int64_t> shape(shapeOf(list).begin(), shapeOf(list).end());
  std::vector<int64_t> begin(shape.size(), 0), step(shape.size(), 1);
  begin[0] = start;
  shape[0] = count;
  if (list.literal)
    return ofLiteral(list.literal->strided(begin, step, shape));
  return ofValue(slice(node.builder(), node.loc(), list.value, begin, shape));
}

// Concatenates lists along the rows (empty parts skipped).
Entry concatRows(OpContext &node, std::vector<Entry> parts) {
  llvm::erase_if(parts, [](const Entry &e) { return shapeOf(e)[0] == 0; });
  if (parts.size() == 1)
    return parts[0];
  bool literal = llvm::all_of(parts, [](const Entry &e) { return e.literal.has_value(); });
  if (literal) {
    std::vector<const Literal *> ls;
    for (const Entry &e : parts)
      ls.push_back(&*e.literal);
    return ofLiteral(Literal::concat(ls, 0));
  }
  llvm::SmallVector<Value> values;
  for (const Entry &e : parts)
    values.push_back(valueOf(node, e));
  return ofValue(concat(node.builder(), node.loc(), values, 0));
}

// The list input `i` with its element shape checked against `element`, a
// write's or a read's (-1: any size); an unshaped list becomes zeros of it.
static llvm::Expected<Entry> shapedList(OpContext &node, int i, llvm::ArrayRef<int64_t> element,
                                        llvm::StringRef what) {
  Entry list = input(node, i);
  llvm::ArrayRef<int64_t> shape = shapeOf(list);
  if (shape.empty())
    return node.fail("input " + llvm::Twine(i) + " is a scalar, not a list");
  bool known = llvm::none_of(element, [](int64_t d) { return d < 0; });
  if (unshaped(shape) && !(element.size() == 1 && element[0] == 0)) {
    if (!known)
      return node.fail("the list's element shape is unknown here: nothing was written to it and " +
                       what + " gives " + shapeString(element) +
                       "; Kiln needs every element shape at compile time");
    return zeros(node, dtypeOfEntry(list), shape[0],
                 std::vector<int64_t>(element.begin(), element.end()));
  }
  std::vector<int64_t> have = rowShape(shape);
  bool match = have.size() == element.size();
  for (size_t d = 0; match && d < have.size(); ++d)
    match = element[d] < 0 || element[d] == have[d];
  if (!match)
    return node.fail("the list holds elements of shape " + shapeString(have) + " but " + what +
                     " is " + shapeString(element) + "; Kiln's lists hold elements of one shape");
  return list;
}

// An unknown rank is {-2}: it matches any list.
static bool anyRank(llvm::ArrayRef<int64_t> element) {
  return element.size() == 1 && element[0] == -2;
}

llvm::Expected<std::vector<int64_t>> elementShapeInput(OpContext &node, int i) {
  const Literal *l = node.literal(i);
  if (!l)
    return node.fail("element_shape (input " + llvm::Twine(i) + ") must be known at import");
  if (l->rank() == 0) // -1: unknown rank
    return std::vector<int64_t>{-2};
  return l->toInts();
}

llvm::Expected<Entry> listFor(OpContext &node, int i, llvm::ArrayRef<int64_t> element,
                              llvm::StringRef what) {
  if (anyRank(element)) {
    Entry list = input(node, i);
    if (unshaped(shapeOf(list)))
      return node.fail("the list's element shape is unknown here: nothing was written to it and " +
                       what + " does not give it; Kiln needs every element shape at compile time");
    return list;
  }
  return shapedList(node, i, element, what);
}

// A known index, or std::nullopt for a run-time one.
static llvm::Expected<std::optional<int64_t>> knownIndex(OpContext &node, int i) {
  if (numElements(node.shape(i)) != 1)
    return node.fail("the index must hold one element, not " + shapeString(node.shape(i)));
  if (const Literal *l = node.literal(i))
    return std::optional<int64_t>(l->toInts()[0]);
  if (node.dtype(i) != DType::I32)
    return node.fail("the index must be int32");
  return std::optional<int64_t>();
}

// Row `index` (run time) of a shaped list, by tosa.gather.
static Value gatherRows(OpContext &node, const Entry &list, Value indices, int64_t count) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  llvm::ArrayRef<int64_t> shape = shapeOf(list);
  int64_t row = numElements(rowShape(shape));
  Value v = reshape(b, loc, valueOf(node, list), {1, shape[0], row});
  Type element = typeOf(v).getElementType();
  bool isBool = element.isInteger(1);
  if (isBool) // tosa.gather takes numbers
    v = castElements(b, loc, v, b.getI32Type());
  Value idx = castElements(b, loc, reshape(b, loc, indices, {1, count}), b.getI32Type());
  Value out =
      node.create<tosa::GatherOp>(tensorOf({1, count, row}, typeOf(v).getElementType()), v, idx);
  if (isBool)
    out = castElements(b, loc, out, element);
  return reshape(b, loc, out, withRows(count, rowShape(shape)));
}

// The list with row `index` replaced by `item` (of the list's element shape).
static llvm::Expected<Entry> writeRow(OpContext &node, Entry list, int indexInput, Entry item) {
  auto index = knownIndex(node, indexInput);
  if (!index)
    return index.takeError();
  llvm::ArrayRef<int64_t> shape = shapeOf(list);
  int64_t n = shape[0];
  std::vector<int64_t> element = rowShape(shape);
  Entry row = reshaped(node, item, withRows(1, element));
  if (!*index) {
    // Run time: select the row whose number equals the index.
    OpBuilder &b = node.builder();
    Location loc = node.loc();
    std::vector<int64_t> iota(n);
    for (int64_t r = 0; r < n; ++r)
      iota[r] = r;
    std::vector<int64_t> column(shape.size(), 1);
    column[0] = n;
    Value rowsId = i32Constant(node, iota, column);
    Value idx = castElements(b, loc, node.value(indexInput), b.getI32Type());
    idx = reshape(b, loc, idx, std::vector<int64_t>(shape.size(), 1));
    Value hit = binary<tosa::EqualOp>(b, loc, rowsId, idx, b.getI1Type());
    return ofValue(select(b, loc, hit, valueOf(node, row), valueOf(node, list)));
  }
  int64_t i = **index;
  if (i < 0)
    return node.fail("index " + llvm::Twine(i) + " is negative");
  if (i >= n) // a dynamic_size array or a list grows
    list = concatRows(node, {list, zeros(node, dtypeOfEntry(list), i + 1 - n, element)});
  n = std::max(n, i + 1);
  return concatRows(node, {rows(node, list, 0, i), row, rows(node, list, i + 1, n - i - 1)});
}

// Row `index` of the list, shaped as the element.
llvm::Expected<Entry> readRow(OpContext &node, const Entry &list, int indexInput) {
  auto index = knownIndex(node, indexInput);
  if (!index)
    return index.takeError();
  llvm::ArrayRef<int64_t> shape = shapeOf(list);
  std::vector<int64_t> element = rowShape(shape);
  if (!*index)
    return ofValue(reshape(node.builder(), node.loc(),
                           gatherRows(node, list, node.value(indexInput), 1), element));
  int64_t i = **index;
  if (i < 0 || i >= shape[0])
    return node.fail("index " + llvm::Twine(i) + " is out of range for a list of " +
                     llvm::Twine(shape[0]) + " elements");
  return reshaped(node, rows(node, list, i, 1), element);
}

// Rows `indices` of the list, stacked.
llvm::Expected<Entry> gatherList(OpContext &node, const Entry &list, int indicesInput) {
  llvm::ArrayRef<int64_t> shape = shapeOf(list);
  int64_t count = numElements(node.shape(indicesInput));
  if (count == 0)
    return node.fail("gathering no elements is not supported (a tensor with no elements)");
  const Literal *l = node.literal(indicesInput);
  if (!l)
    return ofValue(gatherRows(node, list, node.value(indicesInput), count));
  std::vector<Entry> parts;
  std::vector<int64_t> idx = l->toInts();
  for (int64_t i : idx) {
    if (i < 0 || i >= shape[0])
      return node.fail("index " + llvm::Twine(i) + " is out of range for a list of " +
                       llvm::Twine(shape[0]) + " elements");
    parts.push_back(rows(node, list, i, 1));
  }
  bool identity = static_cast<int64_t>(idx.size()) == shape[0];
  for (size_t k = 0; identity && k < idx.size(); ++k)
    identity = idx[k] == static_cast<int64_t>(k);
  return identity ? list : concatRows(node, std::move(parts));
}

// The list with rows `indices` (known) set to the rows of `values`.
llvm::Expected<Entry> scatterList(OpContext &node, Entry list, int indicesInput, Entry values) {
  auto indices = node.constInts(indicesInput, "indices");
  if (!indices)
    return indices.takeError();
  llvm::ArrayRef<int64_t> vs = shapeOf(values);
  if (vs.empty() || vs[0] != static_cast<int64_t>(indices->size()))
    return node.fail("the values " + shapeString(vs) + " do not have one row per index (" +
                     llvm::Twine(indices->size()) + ")");
  int64_t n = shapeOf(list)[0];
  std::vector<int64_t> element = rowShape(vs);
  if (unshaped(shapeOf(list)))
    list = zeros(node, dtypeOfEntry(values), n, element);
  else if (rowShape(shapeOf(list)) != element)
    return node.fail("the values' elements " + shapeString(element) + " differ from the list's " +
                     shapeString(rowShape(shapeOf(list))));
  int64_t maxIndex = -1;
  for (int64_t i : *indices) {
    if (i < 0)
      return node.fail("index " + llvm::Twine(i) + " is negative");
    maxIndex = std::max(maxIndex, i);
  }
  if (maxIndex >= n) {
    list = concatRows(node, {list, zeros(node, dtypeOfEntry(values), maxIndex + 1 - n, element)});
    n = maxIndex + 1;
  }
  // Each row's source: -1 the list, else that row of the values (the last
  // write wins, as TF.js's setItem in order does).
  std::vector<int64_t> source(n, -1);
  for (size_t k = 0; k < indices->size(); ++k)
    source[(*indices)[k]] = k;
  bool identity = static_cast<int64_t>(indices->size()) == n;
  for (int64_t r = 0; identity && r < n; ++r)
    identity = source[r] == r;
  if (identity)
    return values;
  // Runs of rows from one source, each one slice.
  std::vector<Entry> parts;
  for (int64_t r = 0; r < n;) {
    int64_t end = r + 1;
    bool fromList = source[r] < 0;
    while (end < n && (fromList ? source[end] < 0 : source[end] == source[end - 1] + 1))
      ++end;
    parts.push_back(fromList ? rows(node, list, r, end - r)
                             : rows(node, values, source[r], end - r));
    r = end;
  }
  return concatRows(node, std::move(parts));
}

// A tensor split along its first dimension by `lengths` (known, equal).
llvm::Expected<Entry> splitList(OpContext &node, Entry value, int lengthsInput) {
  auto lengths = node.constInts(lengthsInput, "lengths");
  if (!lengths)
    return lengths.takeError();
  llvm::ArrayRef<int64_t> shape = shapeOf(value);
  if (shape.empty() || lengths->empty())
    return node.fail("splitting a scalar or into no elements is not supported");
  int64_t total = 0;
  for (int64_t l : *lengths)
    total += l;
  if (total != shape[0])
    return node.fail("the lengths sum to " + llvm::Twine(total) + ", not the " +
                     llvm::Twine(shape[0]) + " rows of the tensor");
  for (int64_t l : *lengths)
    if (l != (*lengths)[0])
      return node.fail("the lengths " + shapeString(*lengths) +
                       " differ; Kiln's lists hold elements of one shape");
  std::vector<int64_t> out{static_cast<int64_t>(lengths->size()), (*lengths)[0]};
  out.insert(out.end(), shape.begin() + 1, shape.end());
  return reshaped(node, value, out);
}

// Rows flattened into the first element dimension; also the lengths.
llvm::Error concatOutputs(OpContext &node, const Entry &list) {
  llvm::ArrayRef<int64_t> shape = shapeOf(list);
  if (shape.size() < 2)
    return node.fail("concatenating scalar elements is not supported (TF needs rank 1 or more)");
  std::vector<int64_t> out{shape[0] * shape[1]};
  out.insert(out.end(), shape.begin() + 2, shape.end());
  Entry flat = reshaped(node, list, out);
  node.graph().define(node.node().name + ":0", flat);
  node.setLiteral(
      1, Literal::fromInts(DType::I32, {shape[0]}, std::vector<int64_t>(shape[0], shape[1])));
  return llvm::Error::success();
}

llvm::Expected<DType> elementDType(OpContext &node, llvm::StringRef attr) {
  std::optional<DType> d = node.attrs().getType(attr);
  if (!d)
    return node.fail("attribute '" + attr + "' (the element type) is missing");
  return *d;
}

llvm::Error checkItem(OpContext &node, const Entry &list, const Entry &item) {
  if (dtypeOfEntry(list) != dtypeOfEntry(item))
    return node.fail("the element is " + dtypeName(dtypeOfEntry(item)) + " but the list holds " +
                     dtypeName(dtypeOfEntry(list)));
  return llvm::Error::success();
}

// The element count input `i`, known and not negative.
llvm::Expected<int64_t> countInput(OpContext &node, int i, llvm::StringRef what) {
  auto v = node.constInts(i, what);
  if (!v)
    return v.takeError();
  if (v->size() != 1 || (*v)[0] < 0)
    return node.fail(what + " must be one number, not negative");
  return (*v)[0];
}

std::optional<std::vector<int64_t>> knownElement(llvm::ArrayRef<int64_t> element) {
  if (anyRank(element) || llvm::any_of(element, [](int64_t d) { return d < 0; }))
    return std::nullopt;
  return std::vector<int64_t>(element.begin(), element.end());
}

llvm::Expected<Entry> writeItem(OpContext &node, int listInput, int indexInput, int itemInput) {
  Entry item = input(node, itemInput);
  std::vector<int64_t> element(shapeOf(item).begin(), shapeOf(item).end());
  auto list = shapedList(node, listInput, element, "the element written");
  if (!list)
    return list.takeError();
  if (llvm::Error err = checkItem(node, *list, item))
    return std::move(err);
  return writeRow(node, *list, indexInput, item);
}

} // namespace kiln::tfjs_import::lists
