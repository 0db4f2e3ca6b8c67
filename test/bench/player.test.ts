import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('player', ['| bare hls.js page |', 'Script size, gzip']);
