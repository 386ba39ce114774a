// The native library runner's warm-up (timing.test): library_runner.mjs
// asks its harness (library_harness.c) for iterations + 1 runs and drops
// the first one's time. Here the runner and the harness are the real ones;
// the candidate library is a fake, built by this script standing in for
// `kiln-tune --compile-task cpu` (--kiln-tune=, through a wrapper script):
// its first task_run in a process sleeps COLD_MS (a cold start), later ones
// copy 16 bytes. One "compile" and one "run" of 5 iterations through the
// runner's protocol; checked: 5 times come back, none of them (so neither
// the median nor the min) holds the cold call, and the run request itself
// took COLD_MS or more (the cold call did happen, untimed). Prints
// "native warm-up ok" or what failed.
//   node warmup.mjs LIBRARY_RUNNER_MJS
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const COLD_MS = 60;
const ITERATIONS = 5;

if (process.argv[2] === '--compile-task') {
  // The fake compiler: --compile-task cpu TASK DIR SCHEDULE writes what the
  // runner links: task.h, kiln_runtime.h, libtask.a, libkiln_runtime.a.
  const dir = process.argv[5];
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(process.env.KILN_FAKE_RUNTIME_H, path.join(dir, 'kiln_runtime.h'));
  fs.writeFileSync(path.join(dir, 'task.h'), `#include "kiln_runtime.h"
#define TASK_INPUT_COUNT 1
#define TASK_OUTPUT_COUNT 1
extern const kiln_tensor_info task_inputs[];
extern const kiln_tensor_info task_outputs[];
typedef struct task_context task_context;
typedef struct task_options { int num_threads; void *arena; size_t arena_size; } task_options;
void task_options_initialize(task_options *options);
kiln_status task_create(const task_options *options, task_context **out_context);
kiln_status task_run(task_context *context, const void *const *inputs, const size_t *input_sizes,
                     void *const *outputs, const size_t *output_sizes);
kiln_status task_set_seed(task_context *context, uint64_t seed);
const char *task_last_error(const task_context *context);
void task_destroy(task_context *context);
`);
  fs.writeFileSync(path.join(dir, 'task.c'), `#include "task.h"
#include <errno.h>
#include <string.h>
#include <time.h>
const kiln_tensor_info task_inputs[] = {{"x", KILN_DTYPE_F32, 1, {4}, 16}};
const kiln_tensor_info task_outputs[] = {{"y", KILN_DTYPE_F32, 1, {4}, 16}};
struct task_context { int runs; };
static struct task_context the_context;
void task_options_initialize(task_options *o) { memset(o, 0, sizeof *o); }
kiln_status task_create(const task_options *o, task_context **c) { (void)o; *c = &the_context; return KILN_OK; }
kiln_status task_run(task_context *c, const void *const *in, const size_t *in_sizes, void *const *out,
                     const size_t *out_sizes) {
  (void)in_sizes; (void)out_sizes;
  if (c->runs++ == 0) {
    struct timespec t = {0, ${COLD_MS}L * 1000000L};
    while (nanosleep(&t, &t) == -1 && errno == EINTR) {}
  }
  memcpy(out[0], in[0], 16);
  return KILN_OK;
}
kiln_status task_set_seed(task_context *c, uint64_t s) { (void)c; (void)s; return KILN_OK; }
const char *task_last_error(const task_context *c) { (void)c; return ""; }
void task_destroy(task_context *c) { (void)c; }
`);
  const cc = process.env.CC || (spawnSync('clang-19', ['--version']).status === 0 ? 'clang-19' : 'cc');
  const step = (command, args) => {
    const done = spawnSync(command, args, { encoding: 'utf8', cwd: dir });
    if (done.status !== 0) {
      process.stderr.write(`fake compile: ${command} failed: ${done.stderr}\n`);
      process.exit(1);
    }
  };
  step(cc, ['-O1', '-c', '-I', dir, 'task.c', '-o', 'task.o']);
  step('ar', ['rcs', 'libtask.a', 'task.o']);
  fs.copyFileSync(path.join(dir, 'libtask.a'), path.join(dir, 'libkiln_runtime.a')); // nothing more needed
  process.exit(0);
}

const runnerPath = path.resolve(process.argv[2]);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-native-warmup-'));
const failures = [];
let runner;
const guard = setTimeout(() => {
  console.log('FAIL: no answer from the runner in 30 s');
  runner?.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(1);
}, 30000);
try {
  const wrapper = path.join(work, 'kiln-tune');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${fileURLToPath(import.meta.url)}' "$@"\n`, { mode: 0o755 });
  const task = path.join(work, 'task.mlir');
  fs.writeFileSync(task, '');
  const env = { ...process.env, HL_NUM_THREADS: '1',
    KILN_FAKE_RUNTIME_H: path.resolve(path.dirname(runnerPath), '../../runtime/kiln_runtime.h') };
  for (const name of Object.keys(env)) if (name.startsWith('KILN_TUNE_')) delete env[name]; // wall clock, no test faults
  runner = spawn(process.execPath, [runnerPath, `--kiln-tune=${wrapper}`, '--target=cpu'],
    { stdio: ['pipe', 'pipe', 'inherit'], env });
  const replies = readline.createInterface({ input: runner.stdout })[Symbol.asyncIterator]();
  const ask = async (request) => {
    runner.stdin.write(JSON.stringify(request) + '\n');
    const { value, done } = await replies.next();
    return done ? { status: 'the runner exited' } : JSON.parse(value);
  };
  const compiled = await ask({ op: 'compile', id: 1, task, schedule: 's' });
  if (compiled.status !== 'ok') failures.push(`compile: ${JSON.stringify(compiled)}`);
  else {
    const start = performance.now();
    const reply = await ask({ op: 'run', id: 1, iterations: ITERATIONS, reference: true });
    const elapsed = performance.now() - start;
    const times = reply.times_ms ?? [];
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    if (reply.status !== 'ok') failures.push(`run: ${JSON.stringify(reply)}`);
    if (times.length !== ITERATIONS) failures.push(`${times.length} times for ${ITERATIONS} iterations`);
    if (!(Math.max(...times) < COLD_MS / 2))
      failures.push(`times ${times.map((t) => t.toFixed(3)).join(' ')} ms (median ${median?.toFixed(3)}, min ${sorted[0]?.toFixed(3)}): the cold ${COLD_MS} ms call was timed`);
    if (elapsed < COLD_MS) failures.push(`the run took ${elapsed.toFixed(1)} ms: no cold call of ${COLD_MS} ms happened (the fake is broken)`);
    if (!failures.length)
      console.log(`native warm-up ok: ${times.length} timed runs, median ${median.toFixed(3)} ms, max ${sorted.at(-1).toFixed(3)} ms; the request ${elapsed.toFixed(0)} ms`);
  }
  await ask({ op: 'forget', id: 1 });
} catch (e) {
  failures.push(String(e?.stack || e));
} finally {
  runner?.stdin.end();
  await new Promise((resolve) => (runner && runner.exitCode === null ? runner.on('exit', resolve) : resolve()));
  clearTimeout(guard);
  fs.rmSync(work, { recursive: true, force: true });
}
for (const f of failures) console.log('FAIL: ' + f);
process.exit(failures.length ? 1 : 0);
