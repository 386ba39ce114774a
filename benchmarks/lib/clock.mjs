// The process's CPU time as a clock, for timing a 1-thread runtime on a
// shared machine: a run preempted by other processes is not slower code.
// User + system time of all of Node's threads, in ms (the tick is a
// microsecond). tuner/runners/measure.mjs has its own copy: it is loaded in
// a browser page too, so it imports nothing, and the tuner depends on
// nothing under benchmarks/.

export function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

/** The clock named by `clock`: 'cpu' (cpuMs) or anything else, wall time. */
export const clockOf = (clock) => (clock === 'cpu' ? cpuMs : () => performance.now());
