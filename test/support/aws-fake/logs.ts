// The fake's logs operations.
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException as LogsNotFound,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { meta } from '../aws-fake.js';
import type { FakeAws } from '../aws-fake.js';

export function installLogs(fake: FakeAws): void {
  const logs = mockClient(CloudWatchLogsClient);
  fake.stubs.push(logs);
  fake.handle(logs, DescribeLogGroupsCommand, { service: 'logs', name: 'DescribeLogGroups', mutating: false }, async (input) => {
    const prefix = input.logGroupNamePrefix ?? '';
    // Pages of `limit` (default and most 50), continued by nextToken.
    const all = [...fake.logs.groups].filter(([name]) => name.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
    const size = Math.min(input.limit ?? 50, fake.pageSize);
    const start = input.nextToken ? Number(input.nextToken) : 0;
    return {
      logGroups: all.slice(start, start + size).map(([name, g]) => ({ logGroupName: name, ...(g.retention ? { retentionInDays: g.retention } : {}) })),
      ...(start + size < all.length ? { nextToken: String(start + size) } : {}),
    };
  });
  fake.handle(logs, CreateLogGroupCommand, { service: 'logs', name: 'CreateLogGroup', mutating: true }, async (input) => {
    if (fake.logs.groups.has(input.logGroupName!)) throw new ResourceAlreadyExistsException({ ...meta, message: 'The specified log group already exists' });
    fake.logs.groups.set(input.logGroupName!, { tags: input.tags ?? {} });
    return {};
  });
  fake.handle(logs, PutRetentionPolicyCommand, { service: 'logs', name: 'PutRetentionPolicy', mutating: true }, async (input) => {
    const group = fake.logs.groups.get(input.logGroupName!);
    if (!group) throw new LogsNotFound({ ...meta, message: 'The specified log group does not exist.' });
    group.retention = input.retentionInDays;
    return {};
  });
  fake.handle(logs, DeleteLogGroupCommand, { service: 'logs', name: 'DeleteLogGroup', mutating: true }, async (input) => {
    if (!fake.logs.groups.delete(input.logGroupName!)) throw new LogsNotFound({ ...meta, message: 'The specified log group does not exist.' });
    return {};
  });
}
