import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('lag', ['| Courtcast, public HLS | published capture timeline |', 'Courtcast 1/1']);
