// setup's Validate on its own: flags in, checked values or a usage error out. No I/O.
import { describe, expect, it } from 'vitest';
import { validateSetupFlags } from '../../../src/commands/setup/validate.js';
import { UsageError } from '../../../src/errors.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files = (path: string) => {
  if (path === 'ca.pem') return PEM;
  if (path === 'key.txt') return 'not a certificate';
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
};

describe('validateSetupFlags', () => {
  it('normalises what it accepts', () => {
    expect(
      validateSetupFlags(
        { cidr: '203.0.113.7', endpoint: ['dev-1', 'dev-2'], resource: '/3303/0/5700/', subnetIds: 'subnet-0a, subnet-0b', dbCa: 'ca.pem' },
        files,
      ),
    ).toEqual({ cidr: '203.0.113.7/32', endpoints: ['dev-1', 'dev-2'], resource: '/3303/0/5700', subnetIds: ['subnet-0a', 'subnet-0b'], dbCaPem: PEM, maxStorage: undefined, keepRawDays: undefined, alertEmail: undefined, quietAfterMinutes: undefined });
    expect(validateSetupFlags({}, files)).toEqual({ cidr: undefined, endpoints: undefined, resource: undefined, subnetIds: undefined, dbCaPem: undefined, maxStorage: undefined, keepRawDays: undefined, alertEmail: undefined, quietAfterMinutes: undefined });
    expect(validateSetupFlags({ maxStorage: '22' }, files).maxStorage).toBe(22);
    expect(validateSetupFlags({ maxStorage: '65536' }, files).maxStorage).toBe(65536);
    // --keep-raw: days, weeks, months of 30 days and years of 365; forever is null (not "not given").
    expect(['30d', '12w', '6mo', '2Y', ' forever ', '36500d'].map((keepRaw) => validateSetupFlags({ keepRaw }, files).keepRawDays)).toEqual([30, 84, 180, 730, null, 36500]);
    // --alert-email: an address, or none ('': asked and declined, so not asked again).
    expect([' ops@example.com ', 'none', 'NONE'].map((alertEmail) => validateSetupFlags({ alertEmail }, files).alertEmail)).toEqual(['ops@example.com', '', '']);
    // --quiet-after: minutes or hours in steps of the alarm's 5-minute look.
    expect(['5m', '30min', '2h', '24h'].map((quietAfter) => validateSetupFlags({ quietAfter }, files).quietAfterMinutes)).toEqual([5, 30, 120, 1440]);
    // --expected-rate: readings a second over all devices, a plain decimal.
    expect(['1', ' 0.25 ', '0.001', '10000'].map((expectedRate) => validateSetupFlags({ expectedRate }, files).expectedRate)).toEqual([1, 0.25, 0.001, 10000]);
  });

  it.each([
    [{ dbPassword: 'short' }, '--db-password must be 8 to 41'],
    [{ dbPassword: 'has/slash-in-it' }, '--db-password must be 8 to 41'],
    [{ connectorHost: 'http://api.example.com' }, 'must use https://'],
    [{ dbCa: 'missing.pem' }, 'cannot read --db-ca missing.pem: ENOENT'],
    [{ dbCa: 'key.txt' }, 'holds no PEM certificate'],
    [{ subnetIds: 'a,b' }, '--subnet-ids takes subnet IDs'],
    [{ vpcId: 'default' }, '--vpc-id takes an ID'],
    [{ dbClass: 'micro' }, '--db-class takes an RDS instance class'],
    [{ alertEmail: 'ops' }, '--alert-email takes an email address such as ops@example.com, or none (got "ops")'],
    [{ alertEmail: 'a b@example.com' }, '--alert-email takes an email address'],
    [{ quietAfter: '3m' }, '--quiet-after takes minutes or hours from 5m to 24h in steps of 5 minutes, such as 30m or 2h (got "3m")'],
    [{ quietAfter: '25h' }, '--quiet-after takes minutes or hours from 5m'],
    [{ quietAfter: '7m' }, '--quiet-after takes minutes or hours from 5m'],
    [{ quietAfter: '30' }, '--quiet-after takes minutes or hours from 5m'],
    [{ keepRaw: '29d' }, '--keep-raw takes forever or a duration from 30 days to 100 years, such as 90d, 12w, 6mo or 2y (got "29d")'],
    [{ keepRaw: '36501d' }, '--keep-raw takes forever or a duration from 30 days'],
    [{ keepRaw: '1.5y' }, '--keep-raw takes forever or a duration from 30 days'],
    [{ keepRaw: '90' }, '--keep-raw takes forever or a duration from 30 days'],
    [{ keepRaw: '3m' }, '--keep-raw takes forever or a duration from 30 days'],
    [{ expectedRate: '0' }, '--expected-rate takes readings a second over all devices, from 0.001 to 10000, such as 0.1 or 5 (got "0")'],
    [{ expectedRate: '-1' }, '--expected-rate takes readings a second'],
    [{ expectedRate: '1e3' }, '--expected-rate takes readings a second'],
    [{ expectedRate: '5/s' }, '--expected-rate takes readings a second'],
    [{ expectedRate: '10001' }, '--expected-rate takes readings a second'],
    [{ maxStorage: '21' }, '--max-storage takes whole GiB from 22 (10 % over the 20 GB the database starts with) to 65536'],
    [{ maxStorage: '65537' }, '--max-storage takes whole GiB from 22'],
    [{ maxStorage: '100.5' }, '--max-storage takes whole GiB from 22'],
    [{ maxStorage: '100GB' }, '--max-storage takes whole GiB from 22'],
    [{ cidr: '0.0.0.0/0' }, 'opens the database to a large part of the internet'],
    [{ cidr: '2001:db8::7' }, 'is IPv6, but the database is reached over IPv4 only'],
    [{ endpoint: ['bad/name'] }, 'invalid endpoint name'],
    [{ resource: '3200/0/5501' }, 'invalid resource path'],
  ])('refuses %j with a usage error', (flags, message) => {
    const error = (() => {
      try {
        validateSetupFlags(flags, files);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'USAGE', exitCode: 2 });
    expect((error as Error).message).toContain(message);
  });
});
