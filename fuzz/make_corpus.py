#!/usr/bin/env python3
"""Builds the fuzz targets' seed corpora from what set-up fetched.

    make_corpus.py BUILD_FUZZ_DIR OUT_DIR

Writes OUT_DIR/<target>/<sha1> for each target (fuzz/FuzzInputs.h says what
an input of each means), deduplicated by content:

  onnx          BlazeFace front and back (.deps/models/blazeface), every model
                of Debian's libonnx-testdata (ONNX's conformance models), and
                every model of the ONNX lit tests (test/lit/import/onnx, text
                made binary)
  onnx-text     the lit tests' models, and the conformance models that
                libonnx 1.12 can print as text
  tfjs-json     the model.json of .deps/models/human-models with up to 3 MB
                of weights (bigger ones only slow the fuzzer), and every model
                of the TF.js lit tests (shards written by their make_shards.py),
                each followed by a NUL and its int32 and bool weights' bytes
  tfjs-weights  each fixed model of fuzz/tfjs-weights, its selector byte and
                the bytes make_shards.py writes for it
  tuning-db     databases for the target's fixed module, written by the
                target itself (KILN_FUZZ_WRITE_SEEDS: the templates' records
                and variations of them; test/lit/tuner's databases are made
                the same way, by make_db.py, from `kiln-tune tasks`)

Missing sources are skipped with a note (a machine without set-up's models
still gets the lit tests' and the fixed models' seeds).
"""
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAKE_SHARDS = os.path.join(ROOT, "test/lit/import/tfjs/Inputs/make_shards.py")
MAX_TFJS_WEIGHT_BYTES = 3 << 20
STORED_SIZE = {"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "uint16": 2, "float16": 2,
               "complex64": 8}


def add(out, target, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    path = os.path.join(out, target, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)


def sections(test_file, suffix):
    """split-file sections ('#--- name') of a lit test whose names end in suffix."""
    with open(test_file) as f:
        text = f.read()
    parts = re.split(r"^#--- (\S+)\n", text, flags=re.M)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)
            if parts[i].endswith(suffix)]


def tfjs_seed(model_json):
    """model.json, a NUL, then its int32 and bool weights' stored bytes."""
    with open(model_json, "rb") as f:
        text = f.read()
    tail = b""
    try:
        model = json.loads(text)
        directory = os.path.dirname(model_json)
        for group in model.get("weightsManifest", []):
            data = b""
            for path in group["paths"]:
                with open(os.path.join(directory, path), "rb") as f:
                    data += f.read()
            offset = 0
            for w in group["weights"]:
                count = 1
                for d in w["shape"]:
                    count *= d
                stored = w.get("quantization", {}).get("dtype", w["dtype"])
                if stored == "string":
                    size = 0
                    for _ in range(count):
                        size += 4 + int.from_bytes(data[offset + size:offset + size + 4], "little")
                else:
                    size = count * STORED_SIZE.get(stored, 0)
                if w["dtype"] in ("int32", "bool"):
                    tail += data[offset:offset + size]
                offset += size
    except (OSError, ValueError, KeyError, TypeError):
        pass  # a bad-input test: its JSON alone is the seed
    return text + b"\0" + tail


def onnx_seeds(build, out):
    tool = os.path.join(build, "bin/kiln-fuzz-seed-tool")
    models = sorted(glob.glob(os.path.join(ROOT, ".deps/models/blazeface/package/ONNX/*.onnx")))
    conformance = sorted(glob.glob("/usr/share/libonnx-testdata/data/**/model.onnx", recursive=True))
    if not models:
        print("make_corpus: no BlazeFace models (.deps/models/blazeface): run scripts/setup.sh")
    if not conformance:
        print("make_corpus: no ONNX conformance models (Debian's libonnx-testdata)")
    for path in models + conformance:
        with open(path, "rb") as f:
            add(out, "onnx", f.read())
    with tempfile.TemporaryDirectory() as tmp:
        # One run of the tool per direction: it is built with the sanitizers.
        pairs = [(path, os.path.join(tmp, "t%d.onnxtext" % i)) for i, path in enumerate(conformance)]
        texts = []
        for test in sorted(glob.glob(os.path.join(ROOT, "test/lit/import/onnx/*.test"))):
            for name, body in sections(test, ".onnxtext"):
                texts.append(body.encode())
        binaries = []
        for i, body in enumerate(texts):
            src = os.path.join(tmp, "l%d.onnxtext" % i)
            with open(src, "wb") as f:
                f.write(body)
            binaries.append((src, os.path.join(tmp, "l%d.onnx" % i)))
        for mode, todo in (("text", pairs), ("binary", binaries)):
            if todo:
                subprocess.run([tool, mode] + [p for pair in todo for p in pair])
        for body in texts:
            add(out, "onnx-text", body)
        for target, todo in (("onnx-text", pairs), ("onnx", binaries)):
            for _, made in todo:
                if os.path.exists(made):
                    with open(made, "rb") as f:
                        add(out, target, f.read())


def tfjs_seeds(out):
    models = sorted(glob.glob(os.path.join(ROOT, ".deps/models/human-models/package/models/*.json")))
    if not models:
        print("make_corpus: no TF.js models (.deps/models/human-models): run scripts/setup.sh")
    skipped = 0
    for path in models:
        # Big weights only slow the fuzzer (up to 40 s a run under the
        # sanitizers, transposing made-up conv filters): their ops are in the
        # smaller models too.
        directory, shard_bytes = os.path.dirname(path), 0
        with open(path) as f:
            for group in json.load(f).get("weightsManifest", []):
                for shard in group["paths"]:
                    shard_bytes += os.path.getsize(os.path.join(directory, shard))
        if shard_bytes > MAX_TFJS_WEIGHT_BYTES:
            skipped += 1
            continue
        add(out, "tfjs-json", tfjs_seed(path))
    if skipped:
        print("make_corpus: left out %d of %d TF.js models with over %d MB of weights"
              % (skipped, len(models), MAX_TFJS_WEIGHT_BYTES >> 20))
    with tempfile.TemporaryDirectory() as tmp:
        for test in sorted(glob.glob(os.path.join(ROOT, "test/lit/import/tfjs/*.test"))):
            for name, body in sections(test, ".json"):
                src, shards = os.path.join(tmp, "in.json"), os.path.join(tmp, "m")
                with open(src, "w") as f:
                    f.write(body)
                subprocess.run(["rm", "-rf", shards])
                # Bounded: a lit test may declare a weight of 2^62 elements
                # (fuzz_found.test), which make_shards.py would write forever.
                try:
                    made = subprocess.run([sys.executable, MAKE_SHARDS, src, shards],
                                          capture_output=True, timeout=30).returncode == 0
                except subprocess.TimeoutExpired:
                    made = False
                add(out, "tfjs-json", tfjs_seed(os.path.join(shards, "model.json")) if made
                    else body.encode())
        fixed = sorted(glob.glob(os.path.join(ROOT, "fuzz/tfjs-weights/*.json")))
        for index, path in enumerate(fixed):
            shards = os.path.join(tmp, "w%d" % index)
            subprocess.run([sys.executable, MAKE_SHARDS, path, shards], check=True)
            data = b""
            for name in ("group1-shard1of2.bin", "group1-shard2of2.bin"):
                with open(os.path.join(shards, name), "rb") as f:
                    data += f.read()
            add(out, "tfjs-weights", bytes([index]) + data)


def tuning_db_seeds(build, out):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([os.path.join(build, "bin/kiln-fuzz-tuning-db")], check=True,
                       env=dict(os.environ, KILN_FUZZ_WRITE_SEEDS=tmp), stdout=subprocess.DEVNULL)
        for name in sorted(os.listdir(tmp)):
            with open(os.path.join(tmp, name), "rb") as f:
                add(out, "tuning-db", f.read())


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_corpus.py BUILD_FUZZ_DIR OUT_DIR")
    build, out = sys.argv[1], sys.argv[2]
    onnx_seeds(build, out)
    tfjs_seeds(out)
    tuning_db_seeds(build, out)
    for target in sorted(os.listdir(out)):
        files = os.listdir(os.path.join(out, target))
        size = sum(os.path.getsize(os.path.join(out, target, f)) for f in files)
        print("make_corpus: %-13s %5d seeds, %6d KB" % (target, len(files), size // 1024))


if __name__ == "__main__":
    main()
