// The fake's rds operations.
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DBSubnetGroupAlreadyExistsFault,
  DBSubnetGroupNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBEngineVersionsCommand,
  InvalidDBClusterStateFault,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  InvalidDBInstanceStateFault,
  InvalidDBSubnetGroupStateFault,
  InvalidVPCNetworkStateFault,
  ListTagsForResourceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { meta } from '../aws-fake.js';
import type { FakeAws, DbInstance, DbCluster } from '../aws-fake.js';

function rdsInvalidParameter(message: string): RDSServiceException {
  return rdsError('InvalidParameterValue', message);
}

/** RDS resource IDs: db-/cluster- and 26 upper-case letters and digits. */
export function rdsResourceId(prefix: 'db' | 'cluster'): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return `${prefix}-${Array.from({ length: 26 }, () => chars[Math.floor(Math.random() * chars.length)]).join('')}`;
}

/**
 * IAM database authentication as ModifyDBInstance/ModifyDBCluster change it: with
 * ApplyImmediately the target is `modifying`, the new value in PendingModifiedValues, then
 * applied; without, it waits for the maintenance window (never, here).
 */
function settleIam(target: { iamAuth: boolean; iamPending?: { value: boolean; until: number }; iamAppliedAt?: number }, now: number): boolean {
  if (target.iamPending && target.iamPending.until <= now) {
    target.iamAuth = target.iamPending.value;
    target.iamAppliedAt = target.iamPending.until;
    delete target.iamPending;
  }
  return Boolean(target.iamPending);
}

/**
 * Storage autoscaling's limit against the allocated storage, as RDS answers it: equal is
 * "Max storage size must be greater than storage size", less than 10 % more "must be increased
 * by at least 10 percent" (both InvalidParameterCombination; quoted from CreateDBInstance
 * failures in ministryofjustice/cloud-platform-environments #7471 and #24422).
 */
function checkMaxStorage(max: number | undefined, allocated: number): void {
  if (max === undefined) return;
  if (max <= allocated) throw rdsError('InvalidParameterCombination', 'Max storage size must be greater than storage size');
  if (max * 10 < allocated * 11) throw rdsError('InvalidParameterCombination', 'The maximum allocated storage must be increased by at least 10 percent.');
}

function rdsError(name: string, message: string): RDSServiceException {
  return new RDSServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

export function installRds(fake: FakeAws): void {
  const rds = mockClient(RDSClient);
  fake.stubs.push(rds);
  const arn = (kind: string, id: string) => `arn:${fake.partition}:rds:${fake.region}:${fake.account}:${kind}:${id}`;
  const instance = (id: string | undefined): DbInstance => {
    const found = id ? fake.rds.instances.get(id) : undefined;
    if (!found) throw new DBInstanceNotFoundFault({ ...meta, message: `DBInstance ${id} not found.` });
    return found;
  };
  const status = (i: DbInstance): string => {
    const now = fake.clock();
    if (i.deletingAt !== undefined) return 'deleting';
    if (i.reset && i.reset.until > now) return 'resetting-master-credentials';
    if (settleIam(i, now) && i.iamPending!.until !== Infinity) return 'modifying';
    if (i.storageFull) return 'storage-full';
    // After its storage grew (RDS user guide, "Increasing DB instance storage capacity"): hours, usable.
    if (i.optimizingUntil !== undefined && i.optimizingUntil > now) return 'storage-optimization';
    const age = now - i.createdAt;
    return age >= fake.rds.bootMs ? 'available' : age >= fake.rds.bootMs * 0.9 ? 'backing-up' : 'creating';
  };
  const sweep = () => {
    for (const [id, i] of fake.rds.instances) if (i.deletingAt !== undefined && fake.clock() - i.deletingAt >= fake.rds.deleteMs) fake.rds.instances.delete(id);
  };
  const describe = (i: DbInstance) => {
    const st = status(i);
    return {
      DBInstanceIdentifier: i.id,
      DBInstanceArn: arn('db', i.id),
      Engine: i.engine,
      DBInstanceClass: i.instanceClass,
      DBInstanceStatus: st,
      DBClusterIdentifier: i.clusterId,
      PubliclyAccessible: i.publicly,
      DeletionProtection: i.deletionProtection,
      VpcSecurityGroups: i.securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
      DBSubnetGroup: { DBSubnetGroupName: i.subnetGroup },
      TagList: i.tags,
      DbiResourceId: i.resourceId,
      // An Aurora member instance does not hold the setting: "This setting doesn't apply to …
      // Amazon Aurora (Mapping … IAM accounts to database accounts is managed by the DB cluster.)"
      // (CreateDBInstance EnableIAMDatabaseAuthentication, SDK model). It reports false; the
      // cluster's DescribeDBClusters answer has the real value.
      IAMDatabaseAuthenticationEnabled: i.clusterId ? false : i.iamAuth,
      // Aurora members report 1 GiB allocated; the cluster holds the storage.
      AllocatedStorage: i.allocatedStorage ?? 1,
      ...(i.maxAllocatedStorage !== undefined ? { MaxAllocatedStorage: i.maxAllocatedStorage } : {}),
      ...(st === 'available' || st === 'backing-up' || st === 'resetting-master-credentials' || st === 'modifying' || st === 'storage-optimization' ? { Endpoint: fake.rds.endpoint(i.id) } : {}),
      ...((i.reset && i.reset.until > fake.clock()) || i.iamPending
        ? {
            PendingModifiedValues: {
              ...(i.reset && i.reset.until > fake.clock() ? { MasterUserPassword: '****' } : {}),
              ...(i.iamPending ? { IAMDatabaseAuthenticationEnabled: i.iamPending.value } : {}),
            },
          }
        : {}),
    };
  };
  fake.handle(rds, DescribeDBInstancesCommand, { service: 'rds', name: 'DescribeDBInstances', mutating: false }, async (input) => {
    sweep();
    const list = input.DBInstanceIdentifier ? [instance(input.DBInstanceIdentifier)] : [...fake.rds.instances.values()];
    return { DBInstances: list.map(describe) };
  });
  fake.handle(rds, CreateDBInstanceCommand, { service: 'rds', name: 'CreateDBInstance', mutating: true }, async (input) => {
    const id = input.DBInstanceIdentifier!;
    if (fake.rds.instances.has(id)) throw new DBInstanceAlreadyExistsFault({ ...meta, message: 'DB instance already exists' });
    if (!fake.rds.subnetGroups.has(input.DBSubnetGroupName!)) throw new DBSubnetGroupNotFoundFault({ ...meta, message: `DBSubnetGroup ${input.DBSubnetGroupName} not found.` });
    if (!fake.rds.offeredClasses.has(input.DBInstanceClass!)) throw rdsInvalidParameter(`${input.DBInstanceClass} is not offered`);
    // A publicly accessible instance needs its VPC's DNS support and DNS hostnames (RDS user
    // guide, "Working with a DB instance in a VPC"; CreateDBInstance's InvalidVPCNetworkStateFault).
    const subnet = fake.ec2.subnets.find((sn) => fake.rds.subnetGroups.get(input.DBSubnetGroupName!)!.subnets.includes(sn.SubnetId));
    if (input.PubliclyAccessible && subnet && !(fake.vpcDns(subnet.VpcId, 'EnableDnsSupport') && fake.vpcDns(subnet.VpcId, 'EnableDnsHostnames'))) {
      throw new InvalidVPCNetworkStateFault({
        ...meta,
        message: 'Cannot create a publicly accessible DBInstance. The specified VPC does not support DNS resolution, DNS hostnames, or both. Update the VPC and then try again',
      });
    }
    if (input.DBClusterIdentifier) {
      if (!fake.rds.clusters.has(input.DBClusterIdentifier)) throw new DBClusterNotFoundFault({ ...meta, message: 'cluster not found' });
      // Aurora: "mapping IAM accounts to database accounts is managed by the DB cluster".
      if (input.EnableIAMDatabaseAuthentication !== undefined) {
        throw rdsError('InvalidParameterCombination', 'The requested DB Instance will be a member of a DB Cluster. Set IAM database authentication for the DB Cluster.');
      }
    } else {
      const pw = input.MasterUserPassword ?? '';
      if (pw.length < 8 || pw.length > 41 || /[/"@ ]/.test(pw)) throw rdsInvalidParameter('The parameter MasterUserPassword is not a valid password.');
      if ((input.AllocatedStorage ?? 0) < 20) throw rdsInvalidParameter('Invalid storage size');
      checkMaxStorage(input.MaxAllocatedStorage, input.AllocatedStorage!);
    }
    const created: DbInstance = {
      id,
      engine: input.Engine!,
      instanceClass: input.DBInstanceClass!,
      ...(input.DBClusterIdentifier ? { clusterId: input.DBClusterIdentifier } : {}),
      createdAt: fake.clock(),
      publicly: input.PubliclyAccessible ?? false,
      securityGroups: input.VpcSecurityGroupIds ?? [],
      subnetGroup: input.DBSubnetGroupName!,
      deletionProtection: input.DeletionProtection ?? false,
      tags: input.Tags ?? [],
      ...(input.MasterUserPassword ? { password: input.MasterUserPassword } : {}),
      resourceId: rdsResourceId('db'),
      iamAuth: input.EnableIAMDatabaseAuthentication ?? false,
      ...(input.DBClusterIdentifier ? {} : { allocatedStorage: input.AllocatedStorage! }),
      ...(input.MaxAllocatedStorage !== undefined ? { maxAllocatedStorage: input.MaxAllocatedStorage } : {}),
    };
    fake.rds.instances.set(id, created);
    if (input.MasterUserPassword) await fake.rds.onPassword?.(input.MasterUsername!, input.MasterUserPassword, input.DBName ?? 'tsdb');
    return { DBInstance: describe(created) };
  });
  /**
   * A new master password (ModifyDBInstance/ModifyDBCluster, ApplyImmediately) is taken only
   * while the database is available, and applies later: the status is
   * resetting-master-credentials meanwhile, and PendingModifiedValues shows it.
   */
  const resetPassword = (target: { reset?: { until: number }; password?: string }, password: string) => {
    target.reset = { until: fake.clock() + fake.rds.resetMs };
    fake.later(fake.rds.resetMs + fake.rds.passwordLagMs, async () => {
      target.password = password;
      await fake.rds.onPassword?.('tsdbuser', password, 'tsdb');
    });
  };
  fake.handle(rds, ModifyDBInstanceCommand, { service: 'rds', name: 'ModifyDBInstance', mutating: true }, async (input) => {
    const found = instance(input.DBInstanceIdentifier);
    // Other modifications are taken during storage-optimization (AWS re:Post, "rds-stuck-in-storage-optimization");
    // a full instance is fixed by modifying it ("storage-full": "scale up your storage by modifying the DB instance").
    if (!['available', 'storage-optimization', 'storage-full'].includes(status(found))) {
      throw new InvalidDBInstanceStateFault({ ...meta, message: `Database instance is not in available state (${status(found)}).` });
    }
    if (input.EnableIAMDatabaseAuthentication !== undefined) {
      if (found.clusterId) throw rdsError('InvalidParameterCombination', 'IAM database authentication of an Aurora DB instance is set on its DB cluster.');
      found.iamPending = { value: input.EnableIAMDatabaseAuthentication, until: input.ApplyImmediately ? fake.clock() + fake.rds.modifyMs : Infinity };
    }
    if (input.AllocatedStorage !== undefined) {
      // "When you increase the allocated storage, it must be by at least 10 percent. If you try to
      // increase the value by less than 10 percent, you get an error." (Increasing DB instance storage capacity; the wording is ours.)
      if (input.AllocatedStorage * 10 < (found.allocatedStorage ?? 0) * 11) throw rdsError('InvalidParameterCombination', 'The allocated storage must be increased by at least 10 percent.');
      checkMaxStorage(input.MaxAllocatedStorage ?? found.maxAllocatedStorage, input.AllocatedStorage);
      found.allocatedStorage = input.AllocatedStorage;
      found.storageFull = false;
      found.optimizingUntil = fake.clock() + 6 * 3600_000;
    }
    if (input.MaxAllocatedStorage !== undefined) {
      checkMaxStorage(input.MaxAllocatedStorage, found.allocatedStorage ?? 0);
      // Applied at once, without downtime: the status stays available.
      found.maxAllocatedStorage = input.MaxAllocatedStorage;
    }
    if (input.MasterUserPassword) resetPassword(found, input.MasterUserPassword);
    if (input.DeletionProtection !== undefined) found.deletionProtection = input.DeletionProtection;
    return { DBInstance: describe(found) };
  });
  fake.handle(rds, DeleteDBInstanceCommand, { service: 'rds', name: 'DeleteDBInstance', mutating: true }, async (input) => {
    const found = instance(input.DBInstanceIdentifier);
    if (found.deletionProtection) throw new InvalidDBInstanceStateFault({ ...meta, message: 'Cannot delete protected DB Instance' });
    if (status(found) === 'creating') throw new InvalidDBInstanceStateFault({ ...meta, message: 'Instance is currently creating - a final snapshot cannot be taken.' });
    found.deletingAt = fake.clock();
    return { DBInstance: describe(found) };
  });
  fake.handle(rds, DescribeDBSubnetGroupsCommand, { service: 'rds', name: 'DescribeDBSubnetGroups', mutating: false }, async (input) => {
    const group = fake.rds.subnetGroups.get(input.DBSubnetGroupName!);
    if (!group) throw new DBSubnetGroupNotFoundFault({ ...meta, message: `DBSubnetGroup ${input.DBSubnetGroupName} not found.` });
    return { DBSubnetGroups: [{ DBSubnetGroupName: input.DBSubnetGroupName, DBSubnetGroupArn: arn('subgrp', input.DBSubnetGroupName!), Subnets: group.subnets.map((id) => ({ SubnetIdentifier: id })) }] };
  });
  fake.handle(rds, CreateDBSubnetGroupCommand, { service: 'rds', name: 'CreateDBSubnetGroup', mutating: true }, async (input) => {
    if (fake.rds.subnetGroups.has(input.DBSubnetGroupName!)) throw new DBSubnetGroupAlreadyExistsFault({ ...meta, message: 'exists' });
    fake.rds.subnetGroups.set(input.DBSubnetGroupName!, { subnets: input.SubnetIds ?? [], tags: input.Tags ?? [] });
    return { DBSubnetGroup: { DBSubnetGroupName: input.DBSubnetGroupName } };
  });
  fake.handle(rds, DeleteDBSubnetGroupCommand, { service: 'rds', name: 'DeleteDBSubnetGroup', mutating: true }, async (input) => {
    if (!fake.rds.subnetGroups.has(input.DBSubnetGroupName!)) throw new DBSubnetGroupNotFoundFault({ ...meta, message: 'not found' });
    sweep();
    sweepClusters();
    if ([...fake.rds.instances.values()].some((i) => i.subnetGroup === input.DBSubnetGroupName)) {
      throw new InvalidDBSubnetGroupStateFault({ ...meta, message: 'Cannot delete the subnet group because at least one database instance is still using it.' });
    }
    // A cluster being deleted still holds its subnet group, for minutes.
    if ([...fake.rds.clusters.values()].some((c) => c.subnetGroup === input.DBSubnetGroupName)) {
      throw new InvalidDBSubnetGroupStateFault({ ...meta, message: `Cannot delete the subnet group '${input.DBSubnetGroupName}' because at least one database cluster: tsdb-cluster is still using it.` });
    }
    fake.rds.subnetGroups.delete(input.DBSubnetGroupName!);
    return {};
  });
  fake.handle(rds, ListTagsForResourceCommand, { service: 'rds', name: 'ListTagsForResource', mutating: false }, async (input) => {
    const name = input.ResourceName!.split(':').pop()!;
    const tags = input.ResourceName!.includes(':subgrp:')
      ? fake.rds.subnetGroups.get(name)?.tags
      : input.ResourceName!.includes(':cluster:')
        ? fake.rds.clusters.get(name)?.tags
        : fake.rds.instances.get(name)?.tags;
    return { TagList: tags ?? [] };
  });
  fake.handle(rds, DescribeOrderableDBInstanceOptionsCommand, { service: 'rds', name: 'DescribeOrderableDBInstanceOptions', mutating: false }, async (input) => {
    const offered = input.DBInstanceClass ? fake.rds.offeredClasses.has(input.DBInstanceClass) : true;
    return { OrderableDBInstanceOptions: offered ? [{ Engine: input.Engine, DBInstanceClass: input.DBInstanceClass }] : [] };
  });
  const cluster = (id: string | undefined): DbCluster => {
    sweepClusters();
    const found = id ? fake.rds.clusters.get(id) : undefined;
    if (!found) throw new DBClusterNotFoundFault({ ...meta, message: `DBCluster ${id} not found.` });
    return found;
  };
  const clusterStatus = (c: DbCluster): string => {
    if (c.deletingAt !== undefined) return 'deleting';
    if (c.reset && c.reset.until > fake.clock()) return 'resetting-master-credentials';
    if (settleIam(c, fake.clock()) && c.iamPending!.until !== Infinity) return 'modifying';
    return fake.clock() - c.createdAt >= fake.rds.clusterBootMs ? 'available' : 'creating';
  };
  function sweepClusters(): void {
    for (const [id, c] of fake.rds.clusters) {
      if (c.deletingAt !== undefined && fake.clock() - c.deletingAt >= fake.rds.clusterDeleteMs) fake.rds.clusters.delete(id);
    }
  }
  const describeCluster = (c: DbCluster) => {
    const st = clusterStatus(c);
    return {
      DBClusterIdentifier: c.id,
      DBClusterArn: arn('cluster', c.id),
      Status: st,
      Engine: 'aurora-mysql',
      EngineVersion: c.engineVersion,
      TagList: c.tags,
      DBSubnetGroup: c.subnetGroup,
      // The endpoint exists once the cluster has been created.
      ...(st !== 'creating' ? { Endpoint: fake.rds.endpoint(`${c.id}.cluster`).Address, Port: fake.rds.endpoint(c.id).Port } : {}),
      DbClusterResourceId: c.resourceId,
      IAMDatabaseAuthenticationEnabled: c.iamAuth,
      ...((c.reset && c.reset.until > fake.clock()) || c.iamPending
        ? {
            PendingModifiedValues: {
              ...(c.reset && c.reset.until > fake.clock() ? { MasterUserPassword: '****' } : {}),
              ...(c.iamPending ? { IAMDatabaseAuthenticationEnabled: c.iamPending.value } : {}),
            },
          }
        : {}),
      ServerlessV2ScalingConfiguration: c.scaling,
    };
  };
  fake.handle(rds, DescribeDBClustersCommand, { service: 'rds', name: 'DescribeDBClusters', mutating: false }, async (input) => {
    return { DBClusters: [describeCluster(cluster(input.DBClusterIdentifier))] };
  });
  fake.handle(rds, DescribeDBEngineVersionsCommand, { service: 'rds', name: 'DescribeDBEngineVersions', mutating: false }, async (input) => {
    const all = fake.rds.engineVersions.filter((v) => (!input.Engine || v.Engine === input.Engine) && (!input.EngineVersion || v.EngineVersion === input.EngineVersion) && (!input.DefaultOnly || v.IsDefault));
    // Pages of MaxRecords (default 100), continued by Marker: the fake pages small so callers must follow.
    const size = Math.min(input.MaxRecords ?? 100, fake.pageSize);
    const start = input.Marker ? Number(input.Marker) : 0;
    const page = all.slice(start, start + size);
    // IsDefault is the fake's own bookkeeping: RDS tells the default only through DefaultOnly.
    return { DBEngineVersions: page.map(({ IsDefault: _default, ...v }) => v), ...(start + size < all.length ? { Marker: String(start + size) } : {}) };
  });
  fake.handle(rds, CreateDBClusterCommand, { service: 'rds', name: 'CreateDBCluster', mutating: true }, async (input) => {
    if (fake.rds.clusters.has(input.DBClusterIdentifier!)) throw new DBClusterAlreadyExistsFault({ ...meta, message: `DB Cluster already exists` });
    if (!fake.rds.subnetGroups.has(input.DBSubnetGroupName!)) throw new DBSubnetGroupNotFoundFault({ ...meta, message: `DBSubnetGroup ${input.DBSubnetGroupName} not found.` });
    const versions = fake.rds.engineVersions.filter((v) => v.Engine === input.Engine);
    const version = input.EngineVersion ? versions.find((v) => v.EngineVersion === input.EngineVersion) : versions.find((v) => v.IsDefault);
    if (!version) throw rdsError('InvalidParameterCombination', `Cannot find version ${input.EngineVersion} for ${input.Engine}`);
    const min = input.ServerlessV2ScalingConfiguration?.MinCapacity;
    const lowest = version.ServerlessV2FeaturesSupport?.MinCapacity ?? 0.5;
    if (min !== undefined && min < lowest) {
      throw rdsError('InvalidParameterCombination', `Serverless v2 minimum capacity ${min} isn't valid. The minimum capacity must be at least ${lowest} ACUs for engine version ${version.EngineVersion}.`);
    }
    fake.rds.clusters.set(input.DBClusterIdentifier!, {
      id: input.DBClusterIdentifier!,
      createdAt: fake.clock(),
      tags: input.Tags ?? [],
      password: input.MasterUserPassword!,
      subnetGroup: input.DBSubnetGroupName!,
      engineVersion: version.EngineVersion,
      ...(input.ServerlessV2ScalingConfiguration ? { scaling: input.ServerlessV2ScalingConfiguration } : {}),
      resourceId: rdsResourceId('cluster'),
      iamAuth: input.EnableIAMDatabaseAuthentication ?? false,
    });
    await fake.rds.onPassword?.(input.MasterUsername!, input.MasterUserPassword!, input.DatabaseName ?? 'tsdb');
    return { DBCluster: describeCluster(fake.rds.clusters.get(input.DBClusterIdentifier!)!) };
  });
  fake.handle(rds, ModifyDBClusterCommand, { service: 'rds', name: 'ModifyDBCluster', mutating: true }, async (input) => {
    const c = cluster(input.DBClusterIdentifier);
    if (clusterStatus(c) !== 'available') throw new InvalidDBClusterStateFault({ ...meta, message: `DB cluster is not in available state: ${clusterStatus(c)}` });
    if (input.EnableIAMDatabaseAuthentication !== undefined) {
      c.iamPending = { value: input.EnableIAMDatabaseAuthentication, until: input.ApplyImmediately ? fake.clock() + fake.rds.modifyMs : Infinity };
    }
    if (input.MasterUserPassword) resetPassword(c, input.MasterUserPassword);
    return { DBCluster: describeCluster(c) };
  });
  fake.handle(rds, DeleteDBClusterCommand, { service: 'rds', name: 'DeleteDBCluster', mutating: true }, async (input) => {
    const c = cluster(input.DBClusterIdentifier);
    const st = clusterStatus(c);
    if (st === 'deleting') throw new InvalidDBClusterStateFault({ ...meta, message: `DB cluster ${c.id} is already being deleted.` });
    if (st !== 'available') throw new InvalidDBClusterStateFault({ ...meta, message: `DB cluster ${c.id} is not in available state: ${st}` });
    sweep();
    if ([...fake.rds.instances.values()].some((i) => i.clusterId === c.id && i.deletingAt === undefined)) {
      throw new InvalidDBClusterStateFault({ ...meta, message: 'Cluster cannot be deleted, it still contains DB instances in non-deleting state.' });
    }
    c.deletingAt = fake.clock();
    return { DBCluster: describeCluster(c) };
  });
}
