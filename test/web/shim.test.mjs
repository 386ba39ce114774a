// The libc shim every Kiln WASM module links (targets/wasm/shim): built on
// its own with clang-19 and wasm-ld-19 and driven from JS. The allocator is
// checked against a model of what it must do: 64-byte aligned payloads that
// never overlap, contents kept until freed, freed memory reused (coalesced),
// so that memory stops growing; and the string functions against JS.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { repoRoot, tempDir } from './common.mjs';

const shimDir = path.join(repoRoot, 'targets/wasm/shim');
const tmp = tempDir('kiln-web-shim-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const EXPORTS = ['malloc', 'free', 'calloc', 'aligned_alloc', 'memcpy', 'memmove', 'memset', 'memcmp',
  'strlen', 'write', 'atoi', 'kiln_message', 'kiln_clear_message', 'kiln_heap_in_use'];

// Builds the shim alone, with or without bulk memory (as the SIMD and the
// fallback modules do); returns its instance's exports.
function build(bulk) {
  const obj = path.join(tmp, `shim-${bulk}.o`);
  const wasm = path.join(tmp, `shim-${bulk}.wasm`);
  const cc = spawnSync('clang-19', ['--target=wasm32', '-O2', '-ffreestanding', '-nostdlibinc', '-I', path.join(shimDir, 'include'),
    ...(bulk ? ['-mbulk-memory'] : []), '-c', path.join(shimDir, 'kiln_wasm_shim.c'), '-o', obj], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  const ld = spawnSync('wasm-ld-19', ['--no-entry', '--gc-sections', '-o', wasm, obj, ...EXPORTS.map((e) => `--export=${e}`)], { encoding: 'utf8' });
  assert.equal(ld.status, 0, ld.stderr);
  const module = new WebAssembly.Module(fs.readFileSync(wasm));
  assert.deepEqual(WebAssembly.Module.imports(module), []);
  return new WebAssembly.Instance(module, {}).exports;
}

// A small deterministic generator (mulberry32).
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const bulk of [true, false]) {
  describe(`shim (${bulk ? 'bulk memory' : 'MVP'})`, () => {
    let ex;
    before(() => {
      ex = build(bulk);
    });
    const bytes = () => new Uint8Array(ex.memory.buffer);

    test('malloc and free: aligned, disjoint, contents kept, memory reused', () => {
      const live = new Map(); // ptr -> {size, fill}
      let peak = 0;
      const check = (ptr) => {
        const { size, fill } = live.get(ptr);
        const view = bytes().subarray(ptr, ptr + size);
        assert.ok(view.every((b) => b === fill), `block ${ptr} (${size} bytes) was overwritten`);
      };
      for (let round = 0; round < 3; round++) {
        // The same workload each round, as every run of a model is.
        const rand = random(7);
        for (let i = 0; i < 2000; i++) {
          if (live.size && rand() < 0.45) {
            const ptrs = [...live.keys()];
            const ptr = ptrs[Math.floor(rand() * ptrs.length)];
            check(ptr);
            ex.free(ptr);
            live.delete(ptr);
            continue;
          }
          const size = rand() < 0.1 ? Math.floor(rand() * 300000) : Math.floor(rand() * 2000);
          const ptr = ex.malloc(size);
          assert.ok(ptr !== 0, `malloc(${size}) failed`);
          assert.equal(ptr % 64, 0, `malloc(${size}) returned ${ptr}, not 64-byte aligned`);
          for (const [other, { size: s }] of live)
            assert.ok(ptr + size <= other || other + s <= ptr || size === 0 || s === 0, `block ${ptr}+${size} overlaps ${other}+${s}`);
          const fill = (ptr >> 6) & 255;
          bytes().fill(fill, ptr, ptr + size);
          live.set(ptr, { size, fill });
        }
        for (const ptr of live.keys()) {
          check(ptr);
          ex.free(ptr);
        }
        live.clear();
        assert.equal(ex.kiln_heap_in_use(), 0, 'bytes still counted in use after freeing everything');
        // Everything freed coalesces: the same workload again fits in what
        // the first round grew.
        if (round === 0) peak = ex.memory.buffer.byteLength;
        else assert.equal(ex.memory.buffer.byteLength, peak, `round ${round} grew memory`);
      }
      // One block as large as the whole heap fits again after coalescing.
      const big = ex.malloc(peak - 2 * 65536);
      assert.ok(big !== 0);
      assert.equal(ex.memory.buffer.byteLength, peak, 'freed blocks were not coalesced');
      ex.free(big);
    });

    test('calloc zeroes; aligned_alloc honours up to 64; huge requests fail', () => {
      const p = ex.malloc(4096);
      bytes().fill(0xab, p, p + 4096);
      ex.free(p);
      const q = ex.calloc(16, 256);
      assert.ok(bytes().subarray(q, q + 4096).every((b) => b === 0));
      ex.free(q);
      const a = ex.aligned_alloc(64, 100);
      assert.equal(a % 64, 0);
      ex.free(a);
      assert.equal(ex.aligned_alloc(128, 100), 0);
      assert.equal(ex.malloc(0x7fffffff), 0);
      assert.equal(ex.calloc(0x10000, 0x10000), 0);
    });

    test('memcpy, memmove (both overlaps), memset, memcmp, strlen, atoi', () => {
      const p = ex.malloc(256);
      const m = () => bytes().subarray(p, p + 256);
      m().set(Array.from({ length: 256 }, (_, i) => i));
      ex.memmove(p + 10, p, 100); // forward overlap
      assert.deepEqual([...m().subarray(10, 110)], Array.from({ length: 100 }, (_, i) => i));
      m().set(Array.from({ length: 256 }, (_, i) => i));
      ex.memmove(p, p + 10, 100); // backward overlap
      assert.deepEqual([...m().subarray(0, 100)], Array.from({ length: 100 }, (_, i) => i + 10));
      ex.memset(p + 3, 7, 50);
      assert.ok(m().subarray(3, 53).every((b) => b === 7) && m()[53] !== 7);
      ex.memcpy(p + 128, p + 3, 13);
      assert.equal(ex.memcmp(p + 128, p + 3, 13), 0);
      m()[130] = 9;
      assert.ok(ex.memcmp(p + 128, p + 3, 13) > 0);
      m().set(new TextEncoder().encode('-1234\0'), 200);
      assert.equal(ex.strlen(p + 200), 5);
      assert.equal(ex.atoi(p + 200), -1234);
      ex.free(p);
    });

    test('write keeps the runtime messages for the loader', () => {
      const p = ex.malloc(2000);
      const text = (s) => bytes().set(new TextEncoder().encode(s), p);
      const message = () => {
        const ptr = ex.kiln_message();
        const b = bytes();
        let end = ptr;
        while (b[end]) end++;
        return new TextDecoder().decode(b.subarray(ptr, end));
      };
      ex.kiln_clear_message();
      text('Error: out of bounds\n');
      assert.equal(ex.write(2, p, 21), 21);
      assert.equal(message(), 'Error: out of bounds\n');
      // Long output keeps its tail.
      bytes().fill(0x41, p, p + 2000);
      bytes()[p + 1999] = 0x5a;
      ex.write(2, p, 2000);
      assert.ok(message().endsWith('AZ') && message().length < 1024);
      ex.kiln_clear_message();
      assert.equal(message(), '');
      ex.free(p);
    });
  });
}
