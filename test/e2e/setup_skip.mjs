// What a test does when the machine lacks something it needs (a model that
// scripts/setup.sh fetches or generates, Chromium, an npm package, a
// driver). Outside CI it skips with the reason, which node --test prints.
// Under CI (CI=true, as .ci/run and CI services set it) a missing piece is
// a broken set-up, not a reason to go green: the tests still skip, but one
// test named for what is missing fails in their place.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

/** Whether this is CI. */
export const inCI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

/** The `skip` option of tests that need what `reason` says is missing (false: nothing is). */
export function setupSkip(reason) {
  if (!reason) return false;
  if (!inCI) return reason;
  test(`set-up for these tests (CI=true): ${reason}`, () =>
    assert.fail(`${reason}: under CI=true a missing model, browser or package fails the tests that need it`));
  return `${reason} (reported as a failure: CI=true)`;
}

/** setupSkip for a model file: false if `model` exists. */
export function modelSkip(model, how = 'scripts/setup.sh') {
  return setupSkip(fs.existsSync(model) ? false : `${model} is missing (${how})`);
}
