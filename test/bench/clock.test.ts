import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('clock', ['| plain |', '| storm beside the hog']);
