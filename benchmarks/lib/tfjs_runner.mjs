// One timed TF.js inference, shared by the Node worker and the benchmark page
// (which imports it from the same file): execute() unless the graph has
// control flow or dynamic shapes (then executeAsync()), and every output read
// back to JS, as the other runtimes' results are.

/**
 * An async function running `graph` on `feeds` once. `readAsync`: read the
 * outputs with data() instead of dataSync() (a GPU backend, whose dataSync
 * blocks on a readback the page would otherwise await).
 */
export function graphRunner(tf, graph, feeds, { readAsync = false } = {}) {
  let useAsync = false;
  return async () => {
    let out;
    if (!useAsync) {
      try {
        out = graph.execute(feeds);
      } catch (e) {
        if (!/executeAsync/.test(e.message)) throw e;
        useAsync = true;
      }
    }
    if (useAsync) out = await graph.executeAsync(feeds);
    const outs = Array.isArray(out) ? out : [out];
    if (readAsync) await Promise.all(outs.map((t) => t.data()));
    else for (const t of outs) t.dataSync();
    tf.dispose(outs);
  };
}
