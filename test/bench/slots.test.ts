import { benchSmoke } from '../support/bench-smoke.ts';

benchSmoke('slots', ['| no slots (baseline) |', 'one black, blur, pixelate and mute on']);
