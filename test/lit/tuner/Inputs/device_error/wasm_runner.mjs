// A WASM runner whose device cannot run anything (device_error.test): it
// answers every request with the protocol's "device-error", as
// tuner/runners/wasm_runner.mjs does where its page cannot be had for good
// (not cross-origin isolated for the threaded module, the browser missing).
import readline from 'node:readline';

for await (const line of readline.createInterface({ input: process.stdin })) {
  const { id } = JSON.parse(line);
  process.stdout.write(JSON.stringify({ id, status: 'device-error', message: 'test: this device cannot run anything' }) + '\n');
}
