// Tutorial §2, the database's storage: how much a new MySQL database gets, how far RDS may grow
// it (storage autoscaling), and what setup does for one that cannot grow or is full. Aurora's
// cluster volume grows by itself, so none of this applies to it.

import { ModifyDBInstanceCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import type { Task } from '../../ui/progress.js';
import type { StepContext } from '../step.js';

/** A new MySQL database's storage (GiB)… */
export const ALLOCATED_STORAGE_GB = 20;
/**
 * …and how far RDS may grow it when it fills (storage autoscaling, MaxAllocatedStorage): a full
 * instance stops taking writes (storage-full), and the service then deletes the callback. Aurora
 * grows its cluster volume by itself.
 */
export const DEFAULT_MAX_STORAGE_GB = 100;

export const maxStorage = (ctx: StepContext) => ctx.answers.maxStorage ?? DEFAULT_MAX_STORAGE_GB;

/**
 * A full instance (storage-full: it takes no writes, and never becomes available by itself) is
 * grown by setup as autoscaling grows one: by the larger of 10 GiB and 10 % (RDS user guide,
 * "Managing capacity automatically with Amazon RDS storage autoscaling"); the limit then stays
 * at least 10 % above it, as RDS requires.
 */
export function grownStorage(allocated: number): number {
  return Math.max(allocated + 10, tenPercentOver(allocated));
}
/** In integers: 200 × 1.1 is 220.00000000000003 in floating point. */
const tenPercentOver = (gb: number) => Math.ceil((gb * 11) / 10);
export const isFull = (instance: DBInstance | null): boolean => instance?.DBInstanceStatus === 'storage-full' && !instance.DBClusterIdentifier;
const limitAfterGrowth = (ctx: StepContext, instance: DBInstance, grown: number) => Math.max(maxStorage(ctx), instance.MaxAllocatedStorage ?? 0, tenPercentOver(grown));

/** An instance whose storage limit is below the one asked for (a higher one, set by hand, is kept). */
export const needsMaxStorage = (ctx: StepContext, instance: DBInstance | null) =>
  ctx.answers.engine === 'mysql' && instance !== null && !instance.DBClusterIdentifier && (instance.MaxAllocatedStorage ?? 0) < maxStorage(ctx);

/**
 * Statuses in which the instance takes connections and modifications: storage-optimization
 * follows every growth of its storage (autoscaling too) and lasts hours (RDS user guide,
 * "Increasing DB instance storage capacity"), with the database working as usual.
 */
export const USABLE_STATUSES: ReadonlySet<string> = new Set(['available', 'storage-optimization']);

/**
 * What status says of an instance's storage: a problem (its state, and what to do), or a note.
 * An Aurora member holds none: its cluster's volume grows by itself.
 */
export function storageState(instance: DBInstance): { problem: { state: string; note: string } } | { note: string | undefined } {
  if (instance.DBInstanceStatus === 'storage-full') {
    return {
      problem: {
        state: 'storage-full',
        note: `its ${instance.AllocatedStorage} GB are full: RDS takes no readings (the service retries for a day, then deletes the callback); run mbed-tsdb setup to grow it`,
      },
    };
  }
  if (instance.DBClusterIdentifier) return { note: undefined };
  if (!instance.MaxAllocatedStorage) {
    return { problem: { state: 'drifted', note: `${instance.AllocatedStorage} GB that cannot grow: once full, RDS stops taking readings; run mbed-tsdb setup to turn on storage autoscaling` } };
  }
  return { note: `${instance.AllocatedStorage} GB, grows to ${instance.MaxAllocatedStorage} GB as it fills` };
}

/** What setup changes in the instance's storage, for the plan; null: nothing. */
export function storageChange(ctx: StepContext, instance: DBInstance): string | null {
  if (isFull(instance)) {
    const grown = grownStorage(instance.AllocatedStorage ?? ALLOCATED_STORAGE_GB);
    return `its ${instance.AllocatedStorage} GB are full (RDS takes no readings): grow it to ${grown} GB now, and up to ${limitAfterGrowth(ctx, instance, grown)} GB as it fills`;
  }
  if (needsMaxStorage(ctx, instance)) return `let its storage grow to ${maxStorage(ctx)} GB as it fills (storage autoscaling; ${instance.AllocatedStorage} GB now)`;
  return null;
}

/** Grows a full instance now (it takes the modification while full), raising its limit to match. */
export async function growFullStorage(rds: RDSClient, ctx: StepContext, instance: DBInstance, task: Task): Promise<void> {
  const grown = grownStorage(instance.AllocatedStorage ?? ALLOCATED_STORAGE_GB);
  task.update(`its storage is full: growing it to ${grown} GB`);
  await rds.send(
    new ModifyDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, AllocatedStorage: grown, MaxAllocatedStorage: limitAfterGrowth(ctx, instance, grown), ApplyImmediately: true }),
  );
}

/** A database made before mbed-tsdb let its storage grow: RDS applies the limit at once, without downtime. */
export async function turnOnAutoscaling(rds: RDSClient, ctx: StepContext, task: Task): Promise<void> {
  task.update('turning on storage autoscaling');
  await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, MaxAllocatedStorage: maxStorage(ctx), ApplyImmediately: true }));
}
