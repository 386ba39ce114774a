// A WASM runner that compiles and runs nothing and reports times it makes
// up (budget.test, timing.test), through KILN_TUNE_RUNNERS. Each task's
// first compile in a runner is its template (the tuner makes its reference
// first, tuner/Measure.cpp ensureReference). Times, per call, one group:
//   the kernel with tosa.exp in its module (add.mlir's exp): 1 ms, the
//   other 0.1 ms; with KILN_FAKE_GAIN=1 the exp kernel's candidates other
//   than its template take 0.1 ms (the search found a 10x gain);
//   KILN_FAKE_UNSTABLE=1: a candidate's timed runs take 1, 2, 0.5, 3, 0.25
//   (then again) times that, so the median of its times so far moves by
//   more than 2% every round.
// KILN_FAKE_LOG: each request is appended there as one JSON line, with
// this runner's pid and the task's kind, before the reply is sent (the
// tuner waits for each reply, so the file's order is the requests' order).
import fs from 'node:fs';
import readline from 'node:readline';

const log = process.env.KILN_FAKE_LOG;
const gain = process.env.KILN_FAKE_GAIN === '1';
const unstable = process.env.KILN_FAKE_UNSTABLE === '1';
const swings = [1, 2, 0.5, 3, 0.25];
const templates = new Map(); // task path -> its template's schedule
const candidates = new Map(); // id -> {kind, template, runs}

for await (const line of readline.createInterface({ input: process.stdin })) {
  const request = JSON.parse(line);
  const { op, id } = request;
  let reply = { id, status: 'ok' };
  if (op === 'compile') {
    const kind = fs.readFileSync(request.task, 'utf8').includes('tosa.exp') ? 'exp' : 'other';
    if (!templates.has(request.task)) templates.set(request.task, request.schedule);
    const template = request.schedule === templates.get(request.task);
    candidates.set(id, { kind, template, runs: 0 });
    Object.assign(request, { kind, template });
    reply = { ...reply, seconds: 0.001, device_version: 'fake' };
  } else if (op === 'run') {
    const c = candidates.get(id);
    request.kind = c.kind;
    let ms = c.kind === 'exp' && !(gain && !c.template) ? 1 : 0.1;
    if (!request.reference) {
      if (unstable) ms *= swings[c.runs % swings.length];
      c.runs += 1;
    }
    reply = { ...reply, times_ms: [ms], error: 0, clock: 'wall' };
  } else if (op === 'forget') {
    candidates.delete(id);
  }
  if (log) fs.appendFileSync(log, JSON.stringify({ pid: process.pid, ...request }) + '\n');
  process.stdout.write(JSON.stringify(reply) + '\n');
}
