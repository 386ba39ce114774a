// Serves a built example page (scripts/build_web_example.sh) the way a page
// using Kiln should be served: cross-origin isolated (so the loader may use
// shared memory and threads), under a strict Content-Security-Policy (no
// inline script, no eval; WebAssembly by 'wasm-unsafe-eval' only), .wasm as
// application/wasm (streaming compilation).
//
//   node examples/web/serve.mjs DIR [--port N]   (scripts/serve.sh; N 0: any free port)

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'self'; " +
  "img-src 'self'; media-src 'self'; require-trusted-types-for 'script'";
export const HEADERS = {
  'content-security-policy': CSP,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.png': 'image/png', '.json': 'application/json', '.bin': 'application/octet-stream' };

/** Serves `root` on 127.0.0.1:`port` (0: any); resolves {server, url}. */
export function serveDir(root, { port = 0, host = '127.0.0.1' } = {}) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    let rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(base, rel);
    const type = TYPES[path.extname(file)];
    if (!file.startsWith(base + path.sep) || !type || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return res.writeHead(404, HEADERS).end('not found');
    res.writeHead(200, { ...HEADERS, 'content-type': type, 'cache-control': 'no-cache' }).end(fs.readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, url: `http://${host}:${server.address().port}/` }));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args.splice(portAt, 2)[1]) : 8080;
  const [root] = args;
  if (!root || !fs.existsSync(path.join(root, 'index.html')) || !Number.isInteger(port)) {
    console.error('usage: node serve.mjs DIR [--port N]  (N: 0 for any free port; DIR: a built page with index.html: scripts/build_web_example.sh)');
    process.exit(2);
  }
  const { url } = await serveDir(root, { port }).catch((e) => {
    console.error(`serve.mjs: error: cannot listen on port ${port}: ${e.message}`);
    process.exit(1);
  });
  console.log(`serving ${path.resolve(root)} at ${url} (cross-origin isolated, strict CSP); open it in a browser, Ctrl-C to stop`);
}
