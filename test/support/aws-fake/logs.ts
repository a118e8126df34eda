// The fake's logs operations.
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  InvalidOperationException,
  SessionTimeoutException,
  StartLiveTailCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException as LogsNotFound,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { meta } from '../aws-fake.js';
import type { FakeAws, LogRecord } from '../aws-fake.js';

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
      logGroups: all.slice(start, start + size).map(([name, g]) => ({
        logGroupName: name,
        logGroupArn: `arn:aws:logs:us-west-2:123456789012:log-group:${name}`,
        arn: `arn:aws:logs:us-west-2:123456789012:log-group:${name}:*`,
        ...(g.retention ? { retentionInDays: g.retention } : {}),
      })),
      ...(start + size < all.length ? { nextToken: String(start + size) } : {}),
    };
  });
  fake.handle(logs, CreateLogGroupCommand, { service: 'logs', name: 'CreateLogGroup', mutating: true }, async (input) => {
    if (fake.logs.groups.has(input.logGroupName!)) throw new ResourceAlreadyExistsException({ ...meta, message: 'The specified log group already exists' });
    fake.logs.groups.set(input.logGroupName!, { tags: input.tags ?? {}, events: [] });
    return {};
  });
  fake.handle(logs, PutRetentionPolicyCommand, { service: 'logs', name: 'PutRetentionPolicy', mutating: true }, async (input) => {
    const group = fake.logs.groups.get(input.logGroupName!);
    if (!group) throw new LogsNotFound({ ...meta, message: 'The specified log group does not exist.' });
    group.retention = input.retentionInDays;
    return {};
  });
  // FilterLogEvents (API reference): events of the group in [startTime, endTime], as far as
  // CloudWatch has ingested them, in pages of at most `limit` (default and most 10,000) continued
  // by nextToken; a group that does not exist is ResourceNotFoundException.
  fake.handle(logs, FilterLogEventsCommand, { service: 'logs', name: 'FilterLogEvents', mutating: false }, async (input) => {
    const group = fake.logs.groups.get(input.logGroupName ?? '');
    if (!group) throw new LogsNotFound({ ...meta, message: 'The specified log group does not exist.' });
    const found = group.events
      .filter((e) => e.searchableAt <= fake.clock() && e.timestamp >= (input.startTime ?? 0) && e.timestamp <= (input.endTime ?? Infinity))
      .sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : 1));
    const size = Math.min(input.limit ?? 10_000, fake.pageSize);
    const start = input.nextToken ? Number(input.nextToken.replace('page-', '')) : 0;
    return {
      events: found.slice(start, start + size).map((e) => ({ timestamp: e.timestamp, message: e.message, eventId: e.eventId, logStreamName: e.logStreamName, ingestionTime: e.searchableAt })),
      searchedLogStreams: [],
      ...(start + size < found.length ? { nextToken: `page-${start + size}` } : {}),
    };
  });
  // StartLiveTail: a session start, then the events written while it is open, batched per update
  // (the service sends an update about every second, empty or not). A region without Live Tail refuses it.
  fake.handle(logs, StartLiveTailCommand, { service: 'logs', name: 'StartLiveTail', mutating: false }, async (input) => {
    if (!fake.logs.liveTail) throw new InvalidOperationException({ ...meta, message: 'Live Tail is not available in this region' });
    const arn = input.logGroupIdentifiers?.[0] ?? '';
    const group = arn.replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:/, '').replace(/:\*$/, '');
    if (!fake.logs.groups.has(group)) throw new LogsNotFound({ ...meta, message: 'The specified log group does not exist.' });
    const waiting: LogRecord[] = [];
    let wake: (() => void) | null = null;
    const tail = { group, push: (record: LogRecord) => (waiting.push(record), wake?.()) };
    fake.logs.tails.add(tail);
    const startedAt = fake.clock();
    const sessionId = `session-${++fake.logs.sessions}`;
    async function* responseStream() {
      try {
        yield { sessionStart: { sessionId, logGroupIdentifiers: [arn] } };
        for (;;) {
          // "Live Tail sessions time out after three hours": SessionTimeoutException, thrown from the
          // stream (SDK model, StartLiveTailResponseStream). What is written after that is not sent.
          if (fake.clock() - startedAt >= fake.logs.sessionLimitMs) {
            fake.logs.tails.delete(tail);
            throw new SessionTimeoutException({ ...meta, message: 'Session timed out after 3 hours' });
          }
          // An update about every second, empty when nothing came (the fake's second is 50 ms).
          if (waiting.length === 0) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, 50)));
          wake = null;
          const batch = waiting.splice(0);
          yield { sessionUpdate: { sessionMetadata: { sampled: false }, sessionResults: batch.map((e) => ({ logStreamName: e.logStreamName, logGroupIdentifier: arn, message: e.message, timestamp: e.timestamp, ingestionTime: e.searchableAt })) } };
        }
      } finally {
        fake.logs.tails.delete(tail);
      }
    }
    return { responseStream: responseStream() } as never;
  });
  fake.handle(logs, DeleteLogGroupCommand, { service: 'logs', name: 'DeleteLogGroup', mutating: true }, async (input) => {
    if (!fake.logs.groups.delete(input.logGroupName!)) throw new LogsNotFound({ ...meta, message: 'The specified log group does not exist.' });
    return {};
  });
}
