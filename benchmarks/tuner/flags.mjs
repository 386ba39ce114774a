// `--name value` pairs over defaults, for the scripts here: an unknown name
// or a missing value is an error naming it.
export function parseFlags(defaults, argv = process.argv.slice(2)) {
  const args = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args) || i + 1 >= argv.length) throw new Error(`unknown or incomplete argument '${argv[i]}'`);
    args[key] = argv[i + 1];
  }
  return args;
}
