// IAM database authentication on the stack's database: set when it is made, turned on for one
// made before (ModifyDBInstance, or ModifyDBCluster for Aurora, where the cluster holds the
// setting), and the resource ID that rds-db:connect policies name.

import { InvalidDBClusterStateFault, InvalidDBInstanceStateFault, ModifyDBClusterCommand, ModifyDBInstanceCommand, type DBCluster, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { retry } from '../../util/wait.js';
import type { StepContext } from '../step.js';

type Holder = Pick<DBInstance, 'IAMDatabaseAuthenticationEnabled'> & { PendingModifiedValues?: { IAMDatabaseAuthenticationEnabled?: boolean | undefined } | undefined };

/** on: in effect; pending: asked for, RDS is applying it (`modifying`); off. */
export function iamAuthState(holder: Holder | null | undefined): 'on' | 'pending' | 'off' {
  if (holder?.PendingModifiedValues?.IAMDatabaseAuthenticationEnabled === true) return 'pending';
  return holder?.IAMDatabaseAuthenticationEnabled ? 'on' : 'off';
}

/** What holds the setting: the instance, or an Aurora instance's cluster. */
export const iamHolder = (ctx: StepContext, instance: DBInstance | null, cluster: DBCluster | null): Holder | null =>
  ctx.answers.engine === 'aurora-mysql' ? cluster : instance;

/** The ID in `arn:…:rds-db:region:account:dbuser:<id>/<user>`: DbiResourceId, or an Aurora cluster's DbClusterResourceId. */
export function resourceIdOf(ctx: StepContext, instance: DBInstance | null, cluster: DBCluster | null): string | undefined {
  return ctx.answers.engine === 'aurora-mysql' ? cluster?.DbClusterResourceId : instance?.DbiResourceId;
}

/** Asks RDS to turn IAM authentication on now (it is `modifying` for a while after). */
export async function turnOnIamAuth(rds: RDSClient, ctx: StepContext, limitMs: number, pollMs: number): Promise<void> {
  const change = { EnableIAMDatabaseAuthentication: true, ApplyImmediately: true };
  await retry(
    () =>
      ctx.answers.engine === 'aurora-mysql'
        ? rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: ctx.names.dbCluster, ...change }))
        : rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, ...change })),
    {
      what: 'RDS to accept turning on IAM database authentication',
      delay: { everyMs: pollMs },
      timeoutMs: limitMs,
      sleep: ctx.sleep,
      now: ctx.now,
      shouldRetry: (error) => (error instanceof InvalidDBInstanceStateFault || error instanceof InvalidDBClusterStateFault) && 'waiting until the database accepts changes',
    },
  );
}
