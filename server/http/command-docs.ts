import { policyOf } from '../domain/commands.ts';
import { commandParam } from './schemas.ts';

/** What each broadcast command does to exposure, from its declared policy, so the API's documentation says what the server enforces. */
export function commandDescription(): string {
  return commandParam.options
    .map((c) => {
      const p = policyOf(c);
      const gate = p.exposure === 'adds' ? 'adds exposure: refused without an approval in force and a working audit trail' : 'removes exposure: acts at once, recorded after';
      return `${c} (from ${p.from.join(', ')}; reason ${p.reason}): ${gate}`;
    })
    .join('. ');
}
