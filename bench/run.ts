/**
 * Runs a named benchmark: npm run bench -- control [consoles] [commands] | masks [repetitions] |
 * slots [seconds] | lag [masks] | clock [seconds] | archive [seconds] | player [loads] | origin [seconds] [rounds] |
 * load [seconds] [viewers] [consoles] | start [trials] | pipeline [seconds] [rounds] | whep [seconds] | whip [seconds] [rounds] | compositor [seconds] | captions [seconds] | verify [seconds] [rtt-ms]
 */
const which = process.argv[2] ?? 'control';
if (which === 'control') await import('./control.ts');
else if (which === 'masks') await import('./masks.ts');
else if (which === 'slots') await import('./slots.ts');
else if (which === 'lag') await import('./lag.ts');
else if (which === 'clock') await import('./clock.ts');
else if (which === 'archive') await import('./archive.ts');
else if (which === 'player') await import('./player.ts');
else if (which === 'origin') await import('./origin.ts');
else if (which === 'load') await import('./load.ts');
else if (which === 'start') await import('./start.ts');
else if (which === 'pipeline') await import('./pipeline.ts');
else if (which === 'whep') await import('./whep.ts');
else if (which === 'whip') await import('./whip.ts');
else if (which === 'compositor') await import('./compositor.ts');
else if (which === 'captions') await import('./captions.ts');
else if (which === 'verify') await import('./verify.ts');
else {
  process.stderr.write(`unknown benchmark ${which}; available: control, masks, slots, lag, clock, archive, player, origin, load, start, pipeline, whep, whip, compositor, captions, verify\n`);
  process.exit(2);
}
