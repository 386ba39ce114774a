#!/usr/bin/env bash
# Serves the face-mesh page (examples/web/face-mesh) cross-origin isolated and
# under a strict Content-Security-Policy, and prints the address to open.
# Builds the page first when it is not built (scripts/build_web_example.sh).
#   scripts/serve.sh [--port N]     (default 8080, 0: any free port; the
#                                     address printed says which; camera
#                                     access works on 127.0.0.1/localhost
#                                     without https)
# test/web/facemesh.test.mjs runs it so (--port 0, first use).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
page=$build/web/face-mesh
if [ ! -f "$page/index.html" ] || [ ! -f "$page/models/face_mesh.wasm" ]; then
  bash "$root/scripts/build_web_example.sh"
fi
exec node "$root/examples/web/serve.mjs" "$page" "$@"
