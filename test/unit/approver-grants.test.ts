import { describe, expect, it } from 'vitest';
import { grantConfirmationRefusal, grantedCourts, holdBackGrant, withGrant, type PendingGrant } from '../../server/domain/approver-grants.ts';
import type { Principal, Role } from '../../server/domain/users.ts';

const standing = (roles: Role[], courtIds: string[] = []) => ({ roles, courtIds });
const grant: PendingGrant = { courtIds: ['ct_b'], requestedBy: { userId: 'us_asker', username: 'asker' }, requestedAt: 0 };
const person = (userId: string, roles: Role[]): Principal => ({ userId, username: userId, roles, courtroomIds: [], courtIds: [] });

describe('approver grants', () => {
  it('counts as granted only the courts the account did not approve for already', () => {
    expect(grantedCourts(null, standing(['approver'], ['ct_a']))).toEqual(['ct_a']);
    expect(grantedCourts(standing(['approver'], ['ct_a']), standing(['approver'], ['ct_a', 'ct_b']))).toEqual(['ct_b']);
    // Court ids on an account that is not an approver grant nothing, and gain nothing by the role.
    expect(grantedCourts(standing(['clerk'], ['ct_a']), standing(['clerk'], ['ct_a', 'ct_b']))).toEqual([]);
    expect(grantedCourts(standing(['clerk'], ['ct_a']), standing(['clerk', 'approver'], ['ct_a']))).toEqual(['ct_a']);
    expect(grantedCourts(standing(['approver'], ['ct_a', 'ct_b']), standing(['approver'], ['ct_a']))).toEqual([]);
  });

  it('holds back every new court, and the role unless a court already held stays', () => {
    expect(holdBackGrant(null, standing(['approver', 'clerk'], ['ct_a']))).toEqual({ now: standing(['clerk'], []), held: ['ct_a'] });
    expect(holdBackGrant(standing(['approver'], ['ct_a']), standing(['approver'], ['ct_a', 'ct_b']))).toEqual({ now: standing(['approver'], ['ct_a']), held: ['ct_b'] });
    // Moving an approver to another court is a new grant: nothing is approved for in between.
    expect(holdBackGrant(standing(['approver'], ['ct_a']), standing(['approver'], ['ct_b']))).toEqual({ now: standing([], []), held: ['ct_b'] });
    // Taking rights away takes effect at once.
    expect(holdBackGrant(standing(['approver'], ['ct_a', 'ct_b']), standing(['approver'], ['ct_a']))).toEqual({ now: standing(['approver'], ['ct_a']), held: [] });
  });

  it('gives the role and the courts on confirmation', () => {
    expect(withGrant(standing(['clerk'], ['ct_a']), grant)).toEqual(standing(['clerk', 'approver'], ['ct_a', 'ct_b']));
  });

  it('lets a second admin or a supervisor confirm, never the asker, the grantee or anyone else', () => {
    const grantee = { id: 'us_grantee' };
    expect(grantConfirmationRefusal(person('us_other', ['admin']), grantee, grant)).toBeNull();
    expect(grantConfirmationRefusal(person('us_super', ['supervisor']), grantee, grant)).toBeNull();
    expect(grantConfirmationRefusal(person('us_asker', ['admin']), grantee, grant)).toContain('four eyes');
    expect(grantConfirmationRefusal(person('us_grantee', ['supervisor']), grantee, grant)).toContain('four eyes');
    expect(grantConfirmationRefusal(person('us_clerk', ['clerk', 'approver']), grantee, grant)).not.toBeNull();
  });
});
