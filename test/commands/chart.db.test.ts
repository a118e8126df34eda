// `mbed-tsdb chart` end to end against the test MariaDB.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawFromComment } from '../../templates/lambda/maintenance.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/mariadb.js';

describe.skipIf(!hasDatabase)('mbed-tsdb chart', () => {
  let db: TestDatabase;
  let url: string;
  const window = ['--since', '2026-11-27T00:00Z', '--until', '2026-11-28T00:00Z'];

  beforeAll(async () => {
    db = await freshDatabase();
    // Presses in three hours; the hour 02:00 has none.
    await db.query(
      "INSERT INTO events (ts, value, board, sensor) VALUES ('2026-11-27 00:10:00', 1, 'dev-1', '/3200/0/5501'), " +
        "('2026-11-27 00:20:00', 2, 'dev-1', '/3200/0/5501'), ('2026-11-27 01:05:00', 3, 'dev-2', '/3200/0/5501'), " +
        "('2026-11-27 03:59:59', 4.5, 'dev-1', '/3303/0/5700')",
    );
    const { user, password, host, port } = db.login;
    url = `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${db.name}?tls=off`;
  });
  afterAll(async () => db?.drop());

  it('draws the tutorial chart: SUM(value) per hour, one line per bucket, empty hours empty', async () => {
    const run = await runCli(['chart', ...window], { env: { MBED_TSDB_DB_URL: url } });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('SUM(value) per hour (UTC)');
    expect(lines).toHaveLength(1 + 24 + 1);
    expect(lines[1]).toMatch(/^2026-11-27 00:00 │[█▏▎▍▌▋▊▉]+ +3$/);
    expect(lines[2]).toMatch(/^2026-11-27 01:00 │[█▏▎▍▌▋▊▉]+ +3$/);
    expect(lines[3]).toMatch(/^2026-11-27 02:00 │ +–$/);
    expect(lines[4]).toMatch(/^2026-11-27 03:00 │[█▏▎▍▌▋▊▉]+ +4\.5$/);
    // The largest bar is the widest.
    const barLength = (line: string) => line.split('│')[1]!.replace(/ +[\d.]+$/, '').length;
    expect(barLength(lines[4]!)).toBeGreaterThan(barLength(lines[1]!));
    expect(lines.at(-1)).toContain('24 hours, 4 rows');
    expect(run.stderr).toBe('');
  });

  it('says when a minute chart reaches before the raw readings kept (setup --keep-raw); not when it does not', async () => {
    const other = await freshDatabase();
    try {
      await other.query(`ALTER TABLE events COMMENT = '${rawFromComment('2026-11-27')}'`);
      await other.query("INSERT INTO events (ts, value, board, sensor) VALUES ('2026-11-27 00:10:00', 1, 'dev-1', '/3200/0/5501')");
      const { user, password, host, port } = other.login;
      const otherUrl = `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${other.name}?tls=off`;
      const env = { MBED_TSDB_DB_URL: otherUrl };
      const before = await runCli(['chart', '--since', '2026-11-26T23:00Z', '--until', '2026-11-27T01:00Z', '--bucket', 'minute', '--json'], { env });
      expect(before.code).toBe(0);
      expect(JSON.parse(before.stdout)).toMatchObject({ bucket: 'minute', rawFrom: '2026-11-27' });
      expect(before.stderr).toContain('warning: raw readings before 2026-11-27 are no longer kept (setup --keep-raw): a minute chart has nothing before then; hour and day charts of that time come from the rollups');
      // Starting with readings: nothing before it is asked for, nothing said.
      const after = await runCli(['chart', '--since', '2026-11-27T00:10Z', '--until', '2026-11-27T01:00Z', '--bucket', 'minute', '--json'], { env });
      expect(JSON.parse(after.stdout)).not.toHaveProperty('rawFrom');
      expect(after.stderr).toBe('');
    } finally {
      await other.drop();
    }
  });

  it('prints the series as JSON with --json and as CSV with --csv', async () => {
    const json = await runCli(['chart', '--db-url', url, ...window, '--agg', 'count', '--bucket', 'day', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      agg: 'count',
      bucket: 'day',
      tz: 'UTC',
      points: [{ label: '2026-11-27', start: '2026-11-27T00:00:00.000Z', end: '2026-11-28T00:00:00.000Z', value: 4, count: 4 }],
    });
    const csv = await runCli(['chart', '--db-url', url, ...window, '--board', 'dev-1', '--csv']);
    const rows = csv.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('start,end,label,value,count');
    expect(rows[1]).toBe('2026-11-27T00:00:00.000Z,2026-11-27T01:00:00.000Z,2026-11-27 00:00,3,2');
    expect(rows[2]).toBe('2026-11-27T01:00:00.000Z,2026-11-27T02:00:00.000Z,2026-11-27 01:00,,0');
  });

  it('buckets in another time zone with --tz', async () => {
    const run = await runCli(['chart', '--db-url', url, ...window, '--tz', 'Asia/Kolkata', '--json']);
    const series = JSON.parse(run.stdout);
    // 05:00 IST starts at 23:30Z the day before and holds the presses at 00:10Z and 00:20Z.
    expect(series.points[0]).toMatchObject({ label: '2026-11-27 05:00', start: '2026-11-26T23:30:00.000Z', value: 3 });
  });

  it('prints the QuickSight steps for the database with --quicksight, without the password', async () => {
    const run = await runCli(['chart', '--db-url', url, '--quicksight']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Database server:  ${db.login.host}`);
    expect(run.stdout).toContain(`Database name:    ${db.name}`);
    expect(run.stdout).toContain('X axis: ts, aggregate by hour');
    expect(run.stdout).toContain('Value:  value (Sum)');
    expect(run.stdout).not.toContain(db.login.password);
  });

  it.each([
    [['--since', 'yesterday'], '--since "yesterday" is neither a duration'],
    [['--since', '1h', '--until', '2h'], '--until must be later than --since'],
    [['--tz', 'Mars/Olympus'], 'is not a time zone'],
    [['--bucket', 'week'], "argument 'week' is invalid"],
    [['--agg', 'median'], "argument 'median' is invalid"],
    [['--bucket', 'minute', '--since', '200d'], 'more than 100000 minutes'],
    [['--since', '99999999999w'], 'before 1970'],
    [['--bucket', 'day', '--since', '2026-01-01', '--until', '10000-01-01'], 'neither a duration'],
  ])('refuses %j with exit 2', async (flags, message) => {
    const run = await runCli(['chart', '--db-url', url, ...flags]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('says clearly when the database cannot be reached', async () => {
    const run = await runCli(['chart'], { env: { MBED_TSDB_DB_URL: 'mysql://u:p@127.0.0.1:1/tsdb?tls=off' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^mbed-tsdb: the database at 127\.0\.0\.1:1 \(from MBED_TSDB_DB_URL\) refused the connection\n$/);
  });

  it('says what to do when no database is known for the stack', async () => {
    const run = await runCli(['chart', '--stack', 'nothing-here'], { env: { MBED_TSDB_STATE_DIR: mkdtempSync(join(tmpdir(), 'state-')) } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no database known for stack nothing-here');
    expect(run.stderr).toContain('--db-url');
  });

  it("uses the stack's saved database, over TLS, and explains a private one", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const database = { host: '127.0.0.1', port: db.login.port, user: db.login.user, password: db.login.password, name: db.name, table: 'events' };
    writeFileSync(join(dir, 'demo.json'), JSON.stringify({ version: 1, stack: 'demo', database: { ...database, access: 'my-ip', cidr: '203.0.113.7/32' } }), { mode: 0o600 });
    const tls = await runCli(['chart', '--stack', 'demo'], { env: { MBED_TSDB_STATE_DIR: dir } });
    expect(tls.code).toBe(1);
    expect(tls.stderr).toContain('does not offer TLS');

    writeFileSync(join(dir, 'private.json'), JSON.stringify({ version: 1, stack: 'private', database: { ...database, port: 1, access: 'private' } }));
    const hidden = await runCli(['chart', '--stack', 'private'], { env: { MBED_TSDB_STATE_DIR: dir } });
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('is private (reachable only inside its VPC)');
  });

  it('takes --board as a device ID or as the name the device gave itself (Izuma stores the ID)', async () => {
    const old = '015f3850a657000000000001001002ab';
    const replacement = '015f3850a657000000000001001002cd';
    // The kitchen button was replaced on the 25th: a new device ID, the same name.
    await db.query(
      'INSERT INTO events (ts, value, board, sensor) VALUES ' +
        "('2026-11-25 09:10:00', 1, ?, '/3200/0/5501'), ('2026-11-25 10:10:00', 1, ?, '/3200/0/5501'), ('2026-11-25 10:20:00', 1, 'dev-9', '/3200/0/5501')",
      [old, replacement],
    );
    await db.query("INSERT INTO events_devices (device_id, endpoint_name, last_seen) VALUES (?, 'kitchen-button', NOW()), (?, 'kitchen-button', NOW())", [old, replacement]);
    const day = ['--since', '2026-11-25T00:00Z', '--until', '2026-11-26T00:00Z', '--agg', 'count'];
    const byName = await runCli(['chart', '--db-url', url, ...day, '--board', 'kitchen-button', '--json']);
    expect(byName.code, byName.stderr).toBe(0);
    const series = JSON.parse(byName.stdout);
    expect(series).toMatchObject({ board: 'kitchen-button', boardIds: [old, replacement] });
    expect(series.points.filter((p: { count: number }) => p.count > 0).map((p: { label: string }) => p.label)).toEqual(['2026-11-25 09:00', '2026-11-25 10:00']);
    const byId = JSON.parse((await runCli(['chart', '--db-url', url, ...day, '--board', old, '--json'])).stdout);
    expect(byId.points.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(1);
    expect(byId.boardIds).toBeUndefined();
    const text = await runCli(['chart', '--db-url', url, ...day, '--board', 'kitchen-button']);
    expect(text.stdout.split('\n')[0]).toBe(`COUNT(*) per hour (UTC) · board kitchen-button (${old}, ${replacement})`);
  });

  // Issue #25.9: a name matched at most 100 device IDs (LIMIT 100), silently.
  it('takes every device that calls itself the --board name, however many', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `fleet-${String(i).padStart(4, '0')}`);
    await db.query('INSERT INTO events (ts, value, board, sensor) VALUES ?', [ids.map((id) => ['2026-11-25 09:10:00', 1, id, '/3200/0/5501'])]);
    await db.query('INSERT INTO events_devices (device_id, endpoint_name, last_seen) VALUES ?', [ids.map((id) => [id, 'fleet', '2026-11-25 09:10:00'])]);
    const day = ['--since', '2026-11-25T00:00Z', '--until', '2026-11-26T00:00Z', '--agg', 'count'];
    const json = JSON.parse((await runCli(['chart', '--db-url', url, ...day, '--board', 'fleet', '--json'])).stdout);
    expect(json.boardIds).toHaveLength(150);
    expect(json.points.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(150);
    const text = await runCli(['chart', '--db-url', url, ...day, '--board', 'fleet']);
    expect(text.stdout.split('\n')[0]).toBe('COUNT(*) per hour (UTC) · board fleet (150 devices: fleet-0000, fleet-0001, fleet-0002, …)');
  });

  // Issue #25.8: a device's ID or name holding ESC sequences was written raw to the terminal.
  it('shows a device’s ID and name escaped, never acting on their control characters', async () => {
    const evil = 'dev\u001b]0;pwned\u0007\u001b[2J\u009b31m';
    await db.query("INSERT INTO events (ts, value, board, sensor) VALUES ('2026-11-25 09:10:00', 1, ?, '/3200/0/5501')", [evil]);
    await db.query("INSERT INTO events_devices (device_id, endpoint_name, last_seen) VALUES (?, ?, NOW())", [evil, 'name\u001b[31m']);
    const day = ['--since', '2026-11-25T00:00Z', '--until', '2026-11-26T00:00Z', '--agg', 'count'];
    for (const board of [evil, 'name\u001b[31m']) {
      const text = await runCli(['chart', '--db-url', url, ...day, '--board', board], { env: { NO_COLOR: '1' } });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).not.toMatch(/[\u001b\u0007\u009b]/);
      expect(text.stdout).toContain('dev\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m');
    }
  });

  it('warns that a password in --db-url is visible to other users, and points to MBED_TSDB_DB_URL', async () => {
    const run = await runCli(['chart', '--db-url', url, ...window, '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('a password in --db-url is visible to other users of this computer');
    expect(run.stderr).toContain('MBED_TSDB_DB_URL');
    expect(run.stderr).not.toContain(db.login.password);
  });

  it.each([
    ['mysql://user:%zz@127.0.0.1/tsdb', 'a malformed %-escape in its password'],
    ['mysql://us%e0er:pw@127.0.0.1/tsdb', 'a malformed %-escape in its user name'],
    ['mysql://user:pw@127.0.0.1/ts%db', 'a malformed %-escape in its database name'],
  ])('refuses %s as a usage error (exit 2), not a crash', async (bad, message) => {
    const run = await runCli(['chart', '--db-url', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('write % as %25');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('reads MBED_TSDB_DB_URL', async () => {
    const run = await runCli(['chart', ...window, '--json'], { env: { MBED_TSDB_DB_URL: url } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).points).toHaveLength(24);
  });
});
