import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('control', ['| courtcast |', 'ratio courtcast / bare']);
