// Writes console/staff-api.js, the console's client of the staff API, from the API's route table.
import { writeFileSync } from 'node:fs';
import { staffRoutes } from '../server/http/api.ts';
import { consoleClient } from '../server/http/console-client.ts';

const file = new URL('../console/staff-api.js', import.meta.url);
// The table's handlers are never called while the client is written, so no deps are needed.
writeFileSync(file, consoleClient('/api', staffRoutes({} as never)));
process.stdout.write(`wrote ${file.pathname}\n`);
