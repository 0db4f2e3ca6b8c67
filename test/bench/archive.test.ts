import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('archive', ['| master segments |', '| ratio (ours / bare) |']);
