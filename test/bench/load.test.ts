import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('load', ['| console join (whole state) |', 'consoles connected 5/5']);
