import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('masks', ['| render: blur + black box + mute |']);
