// KILN_HEADER

/** An input or output of the model. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: 'float32' | 'float16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool'
    | 'uint16' | 'uint32' | 'uint64' | 'float64' | 'bfloat16';
  /** Row-major, outermost first. */
  readonly shape: readonly number[];
  /** An output of data-dependent length: `shape` is its bound, and
   * dimension `boundedDim` is as long as the run found (Model.shapeOf). */
  readonly boundedDim?: number;
}

/* KILN_FRAME */
/** What run() takes: every input, by name (float16 and bfloat16 as raw bits
 * in a Uint16Array, bool as bytes in a Uint8Array). */
export interface Inputs {
  /* KILN_INPUTS */
}

/** What run() returns: every output, by name (fresh arrays by default). */
export interface Outputs {
  /* KILN_OUTPUTS */
}

/**
 * run()'s options. Given neither, run() returns fresh arrays (the caller
 * owns them). Either of these makes a run allocate nothing.
 */
export interface RunOptions {
  /**
   * The caller's arrays, by output name (some or all outputs), each of the
   * output's typed array class and element count (an output of
   * data-dependent length: its bound, of which the run fills the first
   * shapeOf(name) elements); as onnxruntime-web's preallocated fetches.
   * run() copies those outputs into them and returns this same object. A
   * wrong name, class or length throws (TypeError, RangeError) before the
   * run.
   */
  outputs?: Partial<Outputs>;
  /**
   * true: the outputs are views of the module's memory, not copies: valid
   * until the next run, repeat or dispose (which overwrite or free them).
   * The same frozen object each run, unless an output has a
   * data-dependent length (then a new object with a new view of it).
   */
  views?: boolean;
}

/**
 * Where a file comes from: a URL (a string is resolved against the page; in
 * Node it is a file path unless it has a scheme), a Response, or its bytes.
 */
export type Source = string | URL | Response | ArrayBuffer | ArrayBufferView;

export interface LoadOptions {
  /** With --weights=external: the weights file (default: beside the .wasm). */
  weights?: Source;
  /** Force the SIMD module (true) or the fallback (false); default: detect. */
  simd?: boolean;
  /**
   * With --threads: threads that run the kernels, the caller's included
   * (default: the cores, at most 4). The threaded module needs shared memory:
   * always in Node, in a browser only on a cross-origin isolated page.
   */
  threads?: number;
  /**
   * With --threads: false shares every run's parallel loops with the
   * workers; default (true): each run shares them or keeps them on the
   * calling thread, whichever recent runs found faster (where other
   * processes take the cores, 2 threads can be slower than 1).
   */
  adaptive?: boolean;
  // KILN_IF_RELAXED
  /**
   * With --relaxed-simd: run NAME.relaxed.wasm (fused multiply-adds) where
   * true, the plain SIMD module where false; default: where the engine
   * validates relaxed SIMD.
   */
  relaxed?: boolean;
  // KILN_END_RELAXED
}

/** Which module runs, on how many threads, and why. */
export interface Backend {
  readonly name: 'threads' | 'simd' | 'nosimd';
  readonly threads: number;
  readonly reason: string;
  // KILN_IF_RELAXED
  /** With --relaxed-simd: whether the relaxed SIMD module runs. */
  readonly relaxed: boolean;
  // KILN_END_RELAXED
}

/** How a threaded model's runs used its workers (Model.poolStats). */
export interface PoolStats {
  readonly runs: number;
  readonly sharedRuns: number;
  readonly workerIterations: number;
}

export interface Model {
  /** Runs the model; throws an Error naming a missing, unknown or mistyped
   * input. The outputs are fresh arrays, or see RunOptions. */
  run(inputs: Inputs): Outputs;
  run<O extends Partial<Outputs>>(inputs: Inputs, options: { outputs: O }): O;
  run(inputs: Inputs, options: { views: true }): Readonly<Outputs>;
  run(inputs: Inputs, options?: RunOptions): Outputs;
  /** Runs the model n more times (default 1) on the last run()'s inputs, in
   * the module's memory, copying nothing (for timing); the outputs are views
   * of that memory, valid until the next run, repeat or dispose (the object
   * run(inputs, {views: true}) returns). */
  repeat(n?: number): Outputs;
  /** Seeds the model's random ops: an integer in [0, 2^64); a loaded model has seed 0. */
  seed(seed: number | bigint): void;
  /** Frees the module's memory; run() throws afterwards. */
  dispose(): void;
  /** An output's shape in the last run (differs from `outputs` only for
   * those with `boundedDim`). */
  shapeOf(name: string): readonly number[];
  /** Whether the SIMD module runs (else the fallback). */
  readonly simd: boolean;
  /** Which module runs, on how many threads, and why. */
  readonly backend: Backend;
  /**
   * With --threads, on the threaded module: runs so far, how many shared
   * their parallel loops with the workers (the others kept them on the
   * calling thread: `adaptive`), and the loop iterations the workers ran.
   * null on a single-threaded module.
   */
  readonly poolStats: PoolStats | null;
  /** Bytes of WebAssembly memory the module holds; constant across runs. */
  readonly memoryBytes: number;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}

/** Loads the model; `source` defaults to the .wasm beside the .mjs. */
export function load(source?: Source, options?: LoadOptions): Promise<Model>;
/** Whether this engine runs WebAssembly SIMD. */
export function simdSupported(): boolean;
// KILN_IF_RELAXED
/** Whether this engine runs WebAssembly relaxed SIMD (and so NAME.relaxed.wasm). */
export function relaxedSimdSupported(): boolean;
// KILN_END_RELAXED
export const inputs: readonly TensorInfo[];
export const outputs: readonly TensorInfo[];
