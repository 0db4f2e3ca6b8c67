/** Runs a named benchmark: npm run bench -- control [consoles] [commands] */
const which = process.argv[2] ?? 'control';
if (which === 'control') await import('./control.ts');
else {
  process.stderr.write(`unknown benchmark ${which}; available: control\n`);
  process.exit(2);
}
