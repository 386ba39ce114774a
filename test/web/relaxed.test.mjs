// kilnc --target=wasm --relaxed-simd in Node: NAME.relaxed.wasm and
// NAME.relaxed.threads.wasm (multiply-adds fused into f32x4.relaxed_madd,
// targets/wasm/RelaxedSimd.h) really use relaxed SIMD (Node 20 refuses them
// until --experimental-wasm-relaxed-simd is set, and accepts the plain
// modules), the loader keeps the plain SIMD module on such an engine and says
// so, picks the relaxed one once the engine has it, and both relaxed modules
// (1 and 2 threads) match onnxruntime-node within 1e-4 of each output's range.
// BlazeFace back only (its compile is the test's cost); KILN_RELAXED_MODELS=all
// runs the three models. Chromium has relaxed SIMD without a flag:
// benchmarks/wasm/threads_peers.mjs --relaxed runs the modules there.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import v8 from 'node:v8';

import { MODELS, compare, compiler, importLoader, oracle, readFeeds, tempDir, writeOutputs } from './common.mjs';
import { modelSkip } from '../e2e/setup_skip.mjs';

const tmp = tempDir('kiln-web-relaxed-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const wanted = process.env.KILN_RELAXED_MODELS === 'all' ? MODELS : MODELS.filter((m) => m.name === 'blazeface_back');

function compileRelaxed(model, name) {
  const dir = path.join(tmp, name);
  const r = spawnSync(compiler, [model, '--target=wasm', '--relaxed-simd', '--threads', '--no-fallback', '--name', name, '-o', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `kilnc failed:\n${r.stderr}`);
  return { dir, name };
}

for (const { name, model } of wanted) {
  const skip = modelSkip(model, 'scripts/setup.sh, or build kiln-models');
  describe(`${name} with relaxed SIMD`, { skip }, () => {
    let artifact, truth, feeds, loader;
    const setup = async () => {
      artifact ??= compileRelaxed(model, name);
      truth ??= oracle(model);
      feeds ??= readFeeds(truth.inputs);
      loader ??= await importLoader(artifact);
    };
    const check = (m, label) => {
      const out = path.join(tmp, `${name}-${label}`);
      writeOutputs(out, m.run(feeds), loader.outputs);
      const r = compare(truth.expected, out);
      assert.equal(r.status, 0, `${label} differs from ONNX Runtime:\n${r.stdout}${r.stderr}`);
    };

    // Tests run in order: the engine gains relaxed SIMD between them.
    test('without relaxed SIMD in the engine, the relaxed modules do not validate and the plain one runs', async () => {
      await setup();
      const bytes = (suffix) => fs.readFileSync(path.join(artifact.dir, name + suffix));
      assert.equal(loader.relaxedSimdSupported(), false, 'Node 20 has relaxed SIMD without the flag: the test no longer tests the fallback');
      assert.equal(WebAssembly.validate(bytes('.wasm')), true);
      for (const suffix of ['.relaxed.wasm', '.relaxed.threads.wasm'])
        assert.equal(WebAssembly.validate(bytes(suffix)), false, `${name}${suffix} validates without relaxed SIMD: nothing was fused`);
      const m = await loader.load(undefined, { threads: 1 });
      try {
        assert.equal(m.backend.relaxed, false);
        assert.match(m.backend.reason, /this engine has no relaxed SIMD/);
        check(m, 'plain');
      } finally {
        m.dispose();
      }
    });

    test('with relaxed SIMD, 1 and 2 threads run the relaxed modules and match ONNX Runtime', async () => {
      await setup();
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      assert.equal(loader.relaxedSimdSupported(), true);
      for (const threads of [1, 2]) {
        const m = await loader.load(undefined, { threads });
        try {
          assert.equal(m.backend.relaxed, true, JSON.stringify(m.backend));
          assert.equal(m.backend.name, threads === 1 ? 'simd' : 'threads');
          check(m, `relaxed-${threads}t`);
        } finally {
          m.dispose();
        }
      }
      const off = await loader.load(undefined, { threads: 1, relaxed: false });
      try {
        assert.equal(off.backend.relaxed, false);
        assert.match(off.backend.reason, /relaxed SIMD off/);
      } finally {
        off.dispose();
      }
      await assert.rejects(loader.load(undefined, { relaxed: 'yes' }), { name: 'TypeError', message: /options\.relaxed must be a boolean/ });
    });
  });
}
