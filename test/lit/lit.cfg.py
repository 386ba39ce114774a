# Kiln's lit suite. Each test runs a tool on IR or a model and checks the
# output with FileCheck (from llvm-19-tools).
import os
import lit.formats

config.name = "Kiln"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
# Each test's %t is a fixed path under the exec root, so two lit runs of
# one build at once (two people, a CI check beside a session) would remove
# and rewrite each other's %t: `--param kiln_output=DIR` puts a run's
# outputs in DIR instead (test/README.md).
config.test_exec_root = os.path.abspath(
    lit_config.params.get("kiln_output") or os.path.join(config.kiln_obj_root, "test", "lit")
)

path = [config.kiln_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
config.environment["PATH"] = os.pathsep.join(path)
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(("%kiln_src", config.kiln_src_root))

# A sanitizer build (scripts/sanitize.sh, -DKILN_SANITIZE=...): tests that
# bound memory with ulimit -v cannot (ASan reserves terabytes of shadow).
cache = os.path.join(config.kiln_obj_root, "CMakeCache.txt")
if os.path.exists(cache) and any(
    line.startswith("KILN_SANITIZE:") and line.strip().split("=", 1)[1]
    for line in open(cache)
):
    config.environment["KILN_SANITIZED"] = "1"
    config.available_features.add("sanitized")
