// The fake's sts operations: who the credentials belong to. GetCallerIdentity needs no
// permission (STS API reference): it answers even for credentials denied everything else.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { FakeAws } from '../aws-fake.js';

export function installSts(fake: FakeAws): void {
  const sts = mockClient(STSClient);
  fake.stubs.push(sts);
  fake.handle(sts, GetCallerIdentityCommand, { service: 'sts', name: 'GetCallerIdentity', mutating: false }, async () => ({
    Account: fake.account,
    Arn: `arn:${fake.partition}:iam::${fake.account}:user/mbed-setup`,
    UserId: 'AIDAEXAMPLEUSERID0001',
  }));
}
