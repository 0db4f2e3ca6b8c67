import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('origin', ['| playlist |', '| segment |']);
