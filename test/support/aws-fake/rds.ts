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
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  InvalidDBInstanceStateFault,
  InvalidDBSubnetGroupStateFault,
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
  return new RDSServiceException({ name: 'InvalidParameterValue', $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

export function installRds(fake: FakeAws): void {
  const rds = mockClient(RDSClient);
  fake.stubs.push(rds);
  const arn = (kind: string, id: string) => `arn:aws:rds:us-west-2:${fake.account}:${kind}:${id}`;
  const instance = (id: string | undefined): DbInstance => {
    const found = id ? fake.rds.instances.get(id) : undefined;
    if (!found) throw new DBInstanceNotFoundFault({ ...meta, message: `DBInstance ${id} not found.` });
    return found;
  };
  const status = (i: DbInstance): string => {
    const now = fake.clock();
    if (i.deletingAt !== undefined) return 'deleting';
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
      ...(st === 'available' || st === 'backing-up' ? { Endpoint: fake.rds.endpoint(i.id) } : {}),
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
    if (input.DBClusterIdentifier) {
      if (!fake.rds.clusters.has(input.DBClusterIdentifier)) throw new DBClusterNotFoundFault({ ...meta, message: 'cluster not found' });
    } else {
      const pw = input.MasterUserPassword ?? '';
      if (pw.length < 8 || pw.length > 41 || /[/"@ ]/.test(pw)) throw rdsInvalidParameter('The parameter MasterUserPassword is not a valid password.');
      if ((input.AllocatedStorage ?? 0) < 20) throw rdsInvalidParameter('Invalid storage size');
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
    };
    fake.rds.instances.set(id, created);
    if (input.MasterUserPassword) await fake.rds.onPassword?.(input.MasterUsername!, input.MasterUserPassword, input.DBName ?? 'tsdb');
    return { DBInstance: describe(created) };
  });
  fake.handle(rds, ModifyDBInstanceCommand, { service: 'rds', name: 'ModifyDBInstance', mutating: true }, async (input) => {
    const found = instance(input.DBInstanceIdentifier);
    if (input.MasterUserPassword) {
      found.password = input.MasterUserPassword;
      await fake.rds.onPassword?.('tsdbuser', input.MasterUserPassword, 'tsdb');
    }
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
    if ([...fake.rds.instances.values()].some((i) => i.subnetGroup === input.DBSubnetGroupName)) {
      throw new InvalidDBSubnetGroupStateFault({ ...meta, message: 'Cannot delete the subnet group because at least one database instance is still using it.' });
    }
    fake.rds.subnetGroups.delete(input.DBSubnetGroupName!);
    return {};
  });
  fake.handle(rds, ListTagsForResourceCommand, { service: 'rds', name: 'ListTagsForResource', mutating: false }, async (input) => {
    const name = input.ResourceName!.split(':').pop()!;
    const tags = input.ResourceName!.includes(':subgrp:') ? fake.rds.subnetGroups.get(name)?.tags : fake.rds.instances.get(name)?.tags;
    return { TagList: tags ?? [] };
  });
  fake.handle(rds, DescribeOrderableDBInstanceOptionsCommand, { service: 'rds', name: 'DescribeOrderableDBInstanceOptions', mutating: false }, async (input) => {
    const offered = input.DBInstanceClass ? fake.rds.offeredClasses.has(input.DBInstanceClass) : true;
    return { OrderableDBInstanceOptions: offered ? [{ Engine: input.Engine, DBInstanceClass: input.DBInstanceClass }] : [] };
  });
  const cluster = (id: string | undefined): DbCluster => {
    const found = id ? fake.rds.clusters.get(id) : undefined;
    if (!found) throw new DBClusterNotFoundFault({ ...meta, message: `DBCluster ${id} not found.` });
    return found;
  };
  fake.handle(rds, DescribeDBClustersCommand, { service: 'rds', name: 'DescribeDBClusters', mutating: false }, async (input) => {
    const c = cluster(input.DBClusterIdentifier);
    return { DBClusters: [{ DBClusterIdentifier: c.id, Status: 'available', TagList: c.tags, Endpoint: fake.rds.endpoint(`${c.id}.cluster`).Address, Port: fake.rds.endpoint(c.id).Port, ServerlessV2ScalingConfiguration: c.scaling }] };
  });
  fake.handle(rds, CreateDBClusterCommand, { service: 'rds', name: 'CreateDBCluster', mutating: true }, async (input) => {
    if (fake.rds.clusters.has(input.DBClusterIdentifier!)) throw new DBClusterAlreadyExistsFault({ ...meta, message: 'exists' });
    fake.rds.clusters.set(input.DBClusterIdentifier!, {
      id: input.DBClusterIdentifier!,
      createdAt: fake.clock(),
      tags: input.Tags ?? [],
      password: input.MasterUserPassword!,
      ...(input.ServerlessV2ScalingConfiguration ? { scaling: input.ServerlessV2ScalingConfiguration } : {}),
    });
    await fake.rds.onPassword?.(input.MasterUsername!, input.MasterUserPassword!, input.DatabaseName ?? 'tsdb');
    return { DBCluster: { DBClusterIdentifier: input.DBClusterIdentifier } };
  });
  fake.handle(rds, ModifyDBClusterCommand, { service: 'rds', name: 'ModifyDBCluster', mutating: true }, async (input) => {
    const c = cluster(input.DBClusterIdentifier);
    if (input.MasterUserPassword) {
      c.password = input.MasterUserPassword;
      await fake.rds.onPassword?.('tsdbuser', input.MasterUserPassword, 'tsdb');
    }
    return { DBCluster: { DBClusterIdentifier: c.id } };
  });
  fake.handle(rds, DeleteDBClusterCommand, { service: 'rds', name: 'DeleteDBCluster', mutating: true }, async (input) => {
    cluster(input.DBClusterIdentifier);
    sweep();
    if ([...fake.rds.instances.values()].some((i) => i.clusterId === input.DBClusterIdentifier)) {
      throw new InvalidDBInstanceStateFault({ ...meta, message: 'Cluster still has instances' });
    }
    fake.rds.clusters.delete(input.DBClusterIdentifier!);
    return {};
  });
}
