// The policy `mbed-tsdb policy` prints is complete: every AWS command the code can send is in
// the command → IAM action table, and every action it needs is granted. A new call without
// its permission fails here, not in somebody's account.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_ACTIONS, PARAMETER_ACTIONS, actionsFor, actionsForCall, grants, leastPrivilegePolicy } from '../../src/aws/permissions.js';

const root = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every command the code imports from an AWS SDK client: `XCommand` or `paginateX` (which sends X). */
function commandsInCode(): Array<{ client: string; command: string; file: string }> {
  const found: Array<{ client: string; command: string; file: string }> = [];
  for (const file of sources(root)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      for (const raw of match[1]!.split(',')) {
        const name = raw.trim().replace(/^type\s+/, '').replace(/\s+as\s+\w+$/, '');
        const command = name.endsWith('Command') ? name.slice(0, -'Command'.length) : name.startsWith('paginate') ? name.slice('paginate'.length) : null;
        if (command) found.push({ client: match[2]!, command, file: file.slice(root.length + 1) });
      }
    }
  }
  return found;
}

describe('the least-privilege policy', () => {
  const used = commandsInCode();
  const policy = leastPrivilegePolicy();

  it('is read from the code (the scan sees the calls it should)', () => {
    expect(used.length).toBeGreaterThan(50);
    expect(used).toContainEqual(expect.objectContaining({ client: 'lambda', command: 'CreateFunction' }));
    expect(used).toContainEqual(expect.objectContaining({ client: 'ec2', command: 'DescribeSecurityGroups' }));
  });

  it('names the IAM actions of every command the code sends', () => {
    const missing = used.filter((u) => !actionsFor(u.client, u.command)).map((u) => `${u.client} ${u.command} (${u.file})`);
    expect(missing).toEqual([]);
  });

  it('grants every one of those actions', () => {
    const needed = [...new Set(used.flatMap((u) => actionsFor(u.client, u.command) ?? []))];
    expect(needed.filter((action) => !grants(policy, action))).toEqual([]);
  });

  // A parameter can need an action of its own (the Service Authorization Reference's dependent
  // actions): a final snapshot on delete needs rds:CreateDBSnapshot / rds:CreateDBClusterSnapshot.
  it('knows what the parameters the code passes imply, and grants it', () => {
    const code = sources(root).map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(actionsForCall('rds', 'DeleteDBInstance', { FinalDBSnapshotIdentifier: 'x' })).toContain('rds:CreateDBSnapshot');
    expect(actionsForCall('rds', 'DeleteDBCluster', { FinalDBSnapshotIdentifier: 'x' })).toContain('rds:CreateDBClusterSnapshot');
    expect(actionsForCall('rds', 'DeleteDBInstance', { SkipFinalSnapshot: true })).toEqual(['rds:DeleteDBInstance']);
    for (const [client, commands] of Object.entries(PARAMETER_ACTIONS)) {
      for (const [command, parameters] of Object.entries(commands)) {
        for (const [parameter, actions] of Object.entries(parameters)) {
          expect(code, `${client} ${command} ${parameter}`).toContain(parameter);
          for (const action of actions) expect(grants(policy, action), action).toBe(true);
        }
      }
    }
  });

  it('lists no command the code no longer sends', () => {
    const sent = new Set(used.map((u) => `${u.client} ${u.command}`));
    const stale = Object.entries(COMMAND_ACTIONS).flatMap(([client, commands]) => Object.keys(commands).map((c) => `${client} ${c}`)).filter((c) => !sent.has(c));
    expect(stale).toEqual([]);
  });

  it('scopes what it can: PassRole only for our role to Lambda, nothing with a bare * beyond reads', () => {
    const passRole = policy.Statement.find((s) => s.Action.includes('iam:PassRole'))!;
    expect(passRole.Resource).toBe('arn:aws:iam::*:role/mbed_time_series_database*');
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } });
    const unscoped = policy.Statement.filter((s) => s.Resource === '*').flatMap((s) => s.Action);
    // Prices are nobody's resource: the Price List's actions take only "*" (Service Authorization Reference).
    expect(unscoped.every((a) => /:(Describe|List)/.test(a) || a === 'pricing:GetProducts')).toBe(true);
    expect(JSON.stringify(leastPrivilegePolicy('cn-north-1'))).not.toContain('arn:aws:');
  });
});
