// The state file: atomic, owner-only, in a folder only the owner can enter; a file or folder
// others could read is tightened, and the user told what that may have exposed.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState, writeState } from '../../src/stack/state.js';

describe('state file', () => {
  it('is written atomically, owner-only, and read back', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'state-')), 'nested');
    const env = { MBED_TSDB_STATE_DIR: dir };
    const path = writeState(env, { version: 1, stack: 'demo', region: 'us-west-2' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readState(env, 'demo')).toEqual({ version: 1, stack: 'demo', region: 'us-west-2' });
    expect(readdirSync(dir)).toEqual(['demo.json']);
    writeState(env, { version: 1, stack: 'demo', region: 'eu-west-1' });
    expect(readState(env, 'demo')?.region).toBe('eu-west-1');
    expect(readState(env, 'other')).toBeNull();
  });

  it('tightens a state folder others could enter (made 0755 by an older version, or by hand)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'state-')), 'open');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const env = { MBED_TSDB_STATE_DIR: dir };
    writeState(env, { version: 1, stack: 'demo' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('makes a state file others could read owner-only again, and says the password may be known', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const env = { MBED_TSDB_STATE_DIR: dir };
    const path = writeState(env, { version: 1, stack: 'demo', database: { password: 'secret-password-1' } as never });
    chmodSync(path, 0o644);
    const warnings: string[] = [];
    expect(readState(env, 'demo', { warn: (m) => warnings.push(m) })?.stack).toBe('demo');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([expect.stringContaining(`${path} was readable by other users of this computer`)]);
    expect(warnings[0]).toContain('MBED_TSDB_DB_PASSWORD');
    expect(warnings[0]).not.toContain('secret-password-1');
    // Quiet once it is owner-only.
    readState(env, 'demo', { warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
  });

  it('leaves a shared folder it did not make as it is, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shared-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'notes.txt'), 'somebody else’s');
    const env = { MBED_TSDB_STATE_DIR: dir };
    const warnings: string[] = [];
    writeState(env, { version: 1, stack: 'demo' }, { warn: (m) => warnings.push(m) });
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(warnings).toEqual([expect.stringContaining('other users can list')]);
  });
});
