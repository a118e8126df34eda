// The fake's iam operations.
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { meta } from '../aws-fake.js';
import type { FakeAws, Role } from '../aws-fake.js';

export function installIam(fake: FakeAws): void {
  const iam = mockClient(IAMClient);
  fake.stubs.push(iam);
  const role = (name: string | undefined): Role => {
    const found = name ? fake.iam.roles.get(name) : undefined;
    if (!found) throw new NoSuchEntityException({ ...meta, message: `The role with name ${name} cannot be found.` });
    return found;
  };

  fake.handle(iam, GetRoleCommand, { service: 'iam', name: 'GetRole', mutating: false }, async (input) => {
    const found = role(input.RoleName);
    return { Role: { RoleName: input.RoleName, Arn: found.arn, Path: '/', RoleId: 'AROA000', CreateDate: new Date(0), AssumeRolePolicyDocument: encodeURIComponent(found.trust) } };
  });
  fake.handle(iam, ListRoleTagsCommand, { service: 'iam', name: 'ListRoleTags', mutating: false }, async (input) => {
    return { Tags: role(input.RoleName).tags, IsTruncated: false };
  });
  fake.handle(iam, ListAttachedRolePoliciesCommand, { service: 'iam', name: 'ListAttachedRolePolicies', mutating: false }, async (input) => {
    return { AttachedPolicies: [...role(input.RoleName).attached].map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })), IsTruncated: false };
  });
  fake.handle(iam, CreateRoleCommand, { service: 'iam', name: 'CreateRole', mutating: true }, async (input) => {
    const name = input.RoleName!;
    if (fake.iam.roles.has(name)) throw new EntityAlreadyExistsException({ ...meta, message: `Role with name ${name} already exists.` });
    try {
      JSON.parse(input.AssumeRolePolicyDocument ?? '');
    } catch {
      throw new MalformedPolicyDocumentException({ ...meta, message: 'This policy contains invalid Json' });
    }
    const created: Role = {
      createdAt: fake.clock(),
      arn: `arn:${fake.partition}:iam::${fake.account}:role/${name}`,
      trust: input.AssumeRolePolicyDocument!,
      tags: input.Tags ?? [],
      attached: new Set(),
      inline: new Map(),
    };
    fake.iam.roles.set(name, created);
    return { Role: { RoleName: name, Arn: created.arn, Path: '/', RoleId: 'AROA000', CreateDate: new Date(0) } };
  });
  fake.handle(iam, AttachRolePolicyCommand, { service: 'iam', name: 'AttachRolePolicy', mutating: true }, async (input) => {
    const found = role(input.RoleName);
    found.attached.add(input.PolicyArn!);
    (found.attachedAt ??= new Map()).set(input.PolicyArn!, fake.clock());
    return {};
  });
  fake.handle(iam, DetachRolePolicyCommand, { service: 'iam', name: 'DetachRolePolicy', mutating: true }, async (input) => {
    const found = role(input.RoleName);
    if (!found.attached.delete(input.PolicyArn!)) throw new NoSuchEntityException({ ...meta, message: `Policy ${input.PolicyArn} was not found.` });
    return {};
  });
  // Inline policies (IAM API reference: PutRolePolicy, GetRolePolicy — whose document comes back
  // URL-encoded —, ListRolePolicies, DeleteRolePolicy).
  fake.handle(iam, PutRolePolicyCommand, { service: 'iam', name: 'PutRolePolicy', mutating: true }, async (input) => {
    const found = role(input.RoleName);
    if (!/^[\w+=,.@-]{1,128}$/.test(input.PolicyName ?? '')) throw new MalformedPolicyDocumentException({ ...meta, message: `Invalid policy name ${input.PolicyName}` });
    try {
      const document = JSON.parse(input.PolicyDocument ?? '') as { Statement?: unknown[] };
      if (!Array.isArray(document.Statement)) throw new Error('no Statement');
    } catch {
      throw new MalformedPolicyDocumentException({ ...meta, message: 'Syntax errors in policy.' });
    }
    found.inline.set(input.PolicyName!, { document: input.PolicyDocument!, putAt: fake.clock() });
    return {};
  });
  fake.handle(iam, GetRolePolicyCommand, { service: 'iam', name: 'GetRolePolicy', mutating: false }, async (input) => {
    const policy = role(input.RoleName).inline.get(input.PolicyName!);
    if (!policy) throw new NoSuchEntityException({ ...meta, message: `The role policy with name ${input.PolicyName} cannot be found.` });
    return { RoleName: input.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(policy.document) };
  });
  fake.handle(iam, ListRolePoliciesCommand, { service: 'iam', name: 'ListRolePolicies', mutating: false }, async (input) => {
    return { PolicyNames: [...role(input.RoleName).inline.keys()], IsTruncated: false };
  });
  fake.handle(iam, DeleteRolePolicyCommand, { service: 'iam', name: 'DeleteRolePolicy', mutating: true }, async (input) => {
    if (!role(input.RoleName).inline.delete(input.PolicyName!)) throw new NoSuchEntityException({ ...meta, message: `The role policy with name ${input.PolicyName} cannot be found.` });
    return {};
  });
  fake.handle(iam, DeleteRoleCommand, { service: 'iam', name: 'DeleteRole', mutating: true }, async (input) => {
    const found = role(input.RoleName);
    if (found.attached.size > 0) throw new DeleteConflictException({ ...meta, message: 'Cannot delete entity, must detach all policies first.' });
    if (found.inline.size > 0) throw new DeleteConflictException({ ...meta, message: 'Cannot delete entity, must delete policies first.' });
    fake.iam.roles.delete(input.RoleName!);
    return {};
  });
}
