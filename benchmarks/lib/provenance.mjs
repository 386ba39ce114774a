// What a results file records about the code that produced it, the same
// fields in every writer (run.mjs, vulkan/run.mjs, wasm/threads_peers.mjs,
// tuner/vs_autoschedulers.mjs): the commit the tree was at, which kilnc
// built the artifacts and when it was built, and the compiler's sources
// that had uncommitted changes. On a shared tree another engineer's edit
// counts: a results file without these cannot say what it measured.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { repoRoot } from '../../test/e2e/common.mjs';
import { kilnc as defaultKilnc } from './artifacts.mjs';

// Where the code that compiles and runs a model lives.
const SOURCES = ['codegen', 'compiler', 'dialects', 'targets', 'runtime'];

const git = (...args) => spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' });

/**
 * {commit, kilnc, kilncBuilt, dirty}: the short HEAD (null outside a git
 * checkout), kilnc's path (relative to the repository when inside it), its
 * modification time (null if it is missing), and the paths under the
 * compiler's sources that `git status` lists (uncommitted or untracked).
 */
export function provenance(kilnc = defaultKilnc) {
  const head = git('rev-parse', '--short', 'HEAD');
  const status = git('status', '--porcelain', '--', ...SOURCES);
  let kilncBuilt = null;
  try {
    kilncBuilt = fs.statSync(kilnc).mtime.toISOString();
  } catch {}
  return {
    commit: head.status === 0 ? head.stdout.trim() : null,
    kilnc: kilnc.startsWith(repoRoot) ? path.relative(repoRoot, kilnc) : kilnc,
    kilncBuilt,
    // (porcelain lines are "XY path": not trimmed, or the first loses a letter)
    dirty: status.status === 0 ? status.stdout.split('\n').filter(Boolean).map((l) => l.slice(3)) : [],
  };
}
