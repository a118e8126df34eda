import { describe, expect, it } from 'vitest';
import { ownedBy, stackNames, stackTags } from '../../src/stack/naming.js';
import { generateDbPassword, generateWebhookSecret } from '../../src/stack/secrets.js';

describe('stack names', () => {
  it("are the tutorial's for the default stack", () => {
    expect(stackNames('mbed-tsdb')).toMatchObject({
      role: 'mbed_time_series_database',
      dbInstance: 'tsdb',
      dbName: 'tsdb',
      dbUser: 'tsdbuser',
      desktopSecurityGroup: 'desktop-RDS-access',
      function: 'mbed_time_series_webhook',
      logGroup: '/aws/lambda/mbed_time_series_webhook',
      api: 'mbed time series database webhook',
      apiResource: 'webhook',
      apiStage: 'test',
      table: 'events',
    });
  });

  it('differ for every other stack, and fit each service’s rules', () => {
    const a = stackNames('Demo-2');
    const b = stackNames('demo');
    for (const key of ['role', 'dbInstance', 'dbCluster', 'desktopSecurityGroup', 'functionSecurityGroup', 'function', 'logGroup', 'api'] as const) {
      expect(a[key]).not.toBe(stackNames('mbed-tsdb')[key]);
      expect(a[key]).not.toBe(b[key]);
    }
    expect(a.dbInstance).toMatch(/^[a-z](?:-?[a-z0-9])*$/);
    expect(a.dbInstance.length).toBeLessThanOrEqual(63);
    expect(a.function).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(stackNames('x'.repeat(32)).function.length).toBeLessThanOrEqual(64);
    expect(stackNames('x'.repeat(32)).role.length).toBeLessThanOrEqual(64);
  });

  it('tag resources and tell ours from others’', () => {
    expect(stackTags('demo')).toEqual({ 'mbed-tsdb:stack': 'demo', 'mbed-tsdb:managed-by': 'mbed-tsdb' });
    expect(ownedBy({ 'mbed-tsdb:stack': 'demo' }, 'demo')).toBe('ours');
    expect(ownedBy({ 'mbed-tsdb:stack': 'other' }, 'demo')).toBe('foreign');
    expect(ownedBy({ Name: 'tsdb' }, 'demo')).toBe('untagged');
  });
});

describe('secrets', () => {
  it('makes RDS-safe passwords and webhook secrets, different every time', () => {
    const passwords = new Set(Array.from({ length: 50 }, generateDbPassword));
    expect(passwords.size).toBe(50);
    for (const p of passwords) expect(p).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(generateWebhookSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
