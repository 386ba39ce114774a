// Which way each run of a threaded Kiln model went (issue 18): after() is
// called after each timed run and notes whether it shared its parallel loops
// with the workers (P) or kept them on the calling thread (S), read from the
// model's poolStats; modes() returns the notes since the last call. Used by
// workers/node_worker.mjs and browser/page.mjs, so that threads_peers.mjs
// can say how many runs the loader's PoolChooser shared. {} for a model
// without a pool.
export function poolModes(model) {
  if (!model.poolStats) return {};
  let shared = model.poolStats.sharedRuns;
  let modes = '';
  return {
    after() {
      const now = model.poolStats.sharedRuns;
      modes += now > shared ? 'P' : 'S';
      shared = now;
    },
    modes() {
      const text = modes;
      modes = '';
      return text;
    },
  };
}
