/** Runs a named benchmark: npm run bench -- control [consoles] [commands] | masks [repetitions] */
const which = process.argv[2] ?? 'control';
if (which === 'control') await import('./control.ts');
else if (which === 'masks') await import('./masks.ts');
else {
  process.stderr.write(`unknown benchmark ${which}; available: control, masks\n`);
  process.exit(2);
}
