// The Aurora side of §2: which engine version can scale to zero, and the cluster itself,
// found by name whatever its state (a cluster still being created has no endpoint yet).

import {
  DBClusterNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBEngineVersionsCommand,
  type DBCluster,
  type DBEngineVersion,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { tagMap } from '../naming.js';
import { checkOwner, type StepContext } from '../step.js';

export const AURORA_MAX_ACU = 2;

export interface AuroraChoice {
  engineVersion: string;
  minCapacity: 0 | 0.5;
  /** Why it cannot pause, when it cannot. */
  note?: string;
}

/** Orders Aurora versions such as 8.0.mysql_aurora.3.10.0 by their numbers. */
export function compareVersions(a: string, b: string): number {
  const numbers = (v: string) => (v.match(/\d+/g) ?? []).map(Number);
  const x = numbers(a);
  const y = numbers(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Serverless v2 from 0 ACU (pausing when idle) needs a version whose ServerlessV2FeaturesSupport
 * says MinCapacity 0 (Aurora MySQL 3.08 and newer). The region's default is taken when it can;
 * else the newest that can; else the default with a minimum of 0.5 ACU, and a note saying so.
 */
export function chooseAuroraVersion(offered: AuroraVersions, region: string): AuroraChoice {
  const { versions, defaultVersion } = offered;
  const pausable = versions.filter((v) => v.ServerlessV2FeaturesSupport?.MinCapacity === 0 && v.EngineVersion);
  const newest = (list: DBEngineVersion[]) => [...list].sort((a, b) => compareVersions(b.EngineVersion!, a.EngineVersion!))[0];
  const preferred = pausable.find((v) => v.EngineVersion === defaultVersion) ?? newest(pausable);
  if (preferred) return { engineVersion: preferred.EngineVersion!, minCapacity: 0 };
  const fallback = versions.find((v) => v.EngineVersion === defaultVersion) ?? newest(versions.filter((v) => v.EngineVersion));
  if (!fallback) throw new Error(`no Aurora MySQL engine version is offered in ${region}`);
  return { engineVersion: fallback.EngineVersion!, minCapacity: 0.5, note: `no Aurora MySQL version in ${region} can pause at 0` };
}

export interface AuroraVersions {
  versions: DBEngineVersion[];
  /** What RDS would choose without EngineVersion (DescribeDBEngineVersions DefaultOnly). */
  defaultVersion: string | undefined;
}

/** Every Aurora MySQL version the region offers (all pages), and which is its default. */
export async function auroraVersions(rds: RDSClient): Promise<AuroraVersions> {
  const versions: DBEngineVersion[] = [];
  let marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'aurora-mysql', MaxRecords: 100, ...(marker ? { Marker: marker } : {}) }));
    versions.push(...(page.DBEngineVersions ?? []));
    marker = page.Marker;
  } while (marker);
  const defaults = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'aurora-mysql', DefaultOnly: true }));
  return { versions, defaultVersion: defaults.DBEngineVersions?.[0]?.EngineVersion };
}

/** The stack's cluster in whatever state it is, or null; a foreign one is a ConflictError. */
export async function findCluster(rds: RDSClient, ctx: StepContext): Promise<DBCluster | null> {
  try {
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: ctx.names.dbCluster }))).DBClusters?.[0] ?? null;
    if (cluster) checkOwner(ctx, `Aurora cluster ${ctx.names.dbCluster}`, tagMap(cluster.TagList));
    return cluster;
  } catch (error) {
    if (error instanceof DBClusterNotFoundFault) return null;
    throw error;
  }
}

export function clusterEndpoint(cluster: DBCluster | null): { host: string; port: number } | null {
  return cluster?.Endpoint ? { host: cluster.Endpoint, port: cluster.Port ?? 3306 } : null;
}
