import { IAMServiceException } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { explainAwsError } from '../../src/aws/errors.js';

describe('explainAwsError', () => {
  it.each([
    [Object.assign(new Error('getaddrinfo ENOTFOUND iam.amazonaws.com'), { code: 'ENOTFOUND', hostname: 'iam.amazonaws.com' }), 'cannot reach iam.amazonaws.com (ENOTFOUND)'],
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'no AWS credentials found'],
    [new IAMServiceException({ name: 'ExpiredToken', $fault: 'client', $metadata: {}, message: 'expired' }), 'have expired'],
    [new IAMServiceException({ name: 'InvalidClientTokenId', $fault: 'client', $metadata: {}, message: 'bad' }), 'did not accept the credentials'],
    [new IAMServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'User x is not authorized to perform iam:CreateRole' }), 'iam:CreateRole'],
  ])('puts %s in words', (error, words) => {
    expect(explainAwsError(error)).toContain(words);
  });

  it('leaves other errors alone', () => {
    expect(explainAwsError(new TypeError('x is undefined'))).toBeNull();
  });
});
