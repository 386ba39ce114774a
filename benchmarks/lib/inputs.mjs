// Input data for the timed runs: the same fixed pseudo-random pattern as
// native/bench_model.c (xorshift32; floats in [-1, 1), integers in [0, 256)).
// The models' run times do not depend on the values; this only keeps every
// runtime away from zeros and denormals.

const ARRAYS = {
  float32: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  int8: Int8Array,
  bool: Uint8Array,
};

/** A typed array of `dtype` and `shape`, filled from stream `seed`. */
export function makeData(dtype, shape, seed) {
  const Array_ = ARRAYS[dtype];
  if (!Array_) throw new Error(`no benchmark input generator for dtype '${dtype}'`);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Array_(count);
  let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (dtype === 'float32') data[i] = (x >>> 8) / 8388608 - 1;
    else if (dtype === 'int64') data[i] = BigInt(x & 255);
    else if (dtype === 'bool') data[i] = x & 1;
    else data[i] = x & 255;
  }
  return data;
}

/** A shape with every unknown or symbolic dimension pinned to 1. */
export function pinShape(shape) {
  return shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
}
