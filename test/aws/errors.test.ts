import { IAMServiceException } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { explainAwsError } from '../../src/aws/errors.js';

describe('explainAwsError', () => {
  it.each([
    [Object.assign(new Error('getaddrinfo ENOTFOUND iam.amazonaws.com'), { code: 'ENOTFOUND', hostname: 'iam.amazonaws.com' }), 'AWS_UNREACHABLE', 'cannot reach iam.amazonaws.com (ENOTFOUND)'],
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'AWS_NO_CREDENTIALS', 'no AWS credentials found'],
    [new IAMServiceException({ name: 'ExpiredToken', $fault: 'client', $metadata: {}, message: 'expired' }), 'AWS_CREDENTIALS_EXPIRED', 'have expired'],
    [new IAMServiceException({ name: 'InvalidClientTokenId', $fault: 'client', $metadata: {}, message: 'bad' }), 'AWS_CREDENTIALS_REJECTED', 'did not accept the credentials'],
    [new IAMServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'User x is not authorized to perform iam:CreateRole' }), 'AWS_ACCESS_DENIED', 'iam:CreateRole'],
    [new IAMServiceException({ name: 'LimitExceeded', $fault: 'client', $metadata: {}, message: 'too many roles' }), 'AWS_ERROR', 'AWS answered LimitExceeded: too many roles'],
  ])('puts %s in words, with code %s and the error as its cause', (error, code, words) => {
    const explained = explainAwsError(error);
    expect(explained?.code).toBe(code);
    expect(explained?.message).toContain(words);
    expect(explained?.cause).toBe(error);
  });

  it('leaves other errors alone', () => {
    expect(explainAwsError(new TypeError('x is undefined'))).toBeNull();
  });
});
