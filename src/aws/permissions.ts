// What the user's own AWS credentials must be allowed to do: every SDK command mbed-tsdb
// sends, the IAM actions it needs (the Service Authorization Reference's "Actions defined
// by …" tables, tag-on-create included), and the least-privilege policy `mbed-tsdb policy`
// prints. A test reads every command the code imports and fails when one is missing here.

import { partitionOf } from './partition.js';

/** SDK client package (without `@aws-sdk/client-`) → command (without `Command`) → IAM actions. */
export const COMMAND_ACTIONS = {
  iam: {
    GetRole: ['iam:GetRole'],
    ListRoleTags: ['iam:ListRoleTags'],
    ListAttachedRolePolicies: ['iam:ListAttachedRolePolicies'],
    // Tags given at creation need the tagging action too.
    CreateRole: ['iam:CreateRole', 'iam:TagRole'],
    AttachRolePolicy: ['iam:AttachRolePolicy'],
    DetachRolePolicy: ['iam:DetachRolePolicy'],
    DeleteRole: ['iam:DeleteRole'],
    // The role's inline policy: rds-db:connect as the webhook's database user.
    PutRolePolicy: ['iam:PutRolePolicy'],
    GetRolePolicy: ['iam:GetRolePolicy'],
    ListRolePolicies: ['iam:ListRolePolicies'],
    DeleteRolePolicy: ['iam:DeleteRolePolicy'],
  },
  ec2: {
    DescribeVpcs: ['ec2:DescribeVpcs'],
    DescribeVpcAttribute: ['ec2:DescribeVpcAttribute'],
    DescribeSubnets: ['ec2:DescribeSubnets'],
    DescribeSecurityGroups: ['ec2:DescribeSecurityGroups'],
    CreateSecurityGroup: ['ec2:CreateSecurityGroup', 'ec2:CreateTags'],
    AuthorizeSecurityGroupIngress: ['ec2:AuthorizeSecurityGroupIngress'],
    RevokeSecurityGroupIngress: ['ec2:RevokeSecurityGroupIngress'],
    DeleteSecurityGroup: ['ec2:DeleteSecurityGroup'],
  },
  rds: {
    DescribeDBInstances: ['rds:DescribeDBInstances'],
    DescribeDBClusters: ['rds:DescribeDBClusters'],
    DescribeDBSubnetGroups: ['rds:DescribeDBSubnetGroups'],
    DescribeDBEngineVersions: ['rds:DescribeDBEngineVersions'],
    DescribeOrderableDBInstanceOptions: ['rds:DescribeOrderableDBInstanceOptions'],
    ListTagsForResource: ['rds:ListTagsForResource'],
    // The first database of an account also makes RDS's service-linked role.
    CreateDBInstance: ['rds:CreateDBInstance', 'rds:AddTagsToResource', 'iam:CreateServiceLinkedRole'],
    CreateDBCluster: ['rds:CreateDBCluster', 'rds:AddTagsToResource', 'iam:CreateServiceLinkedRole'],
    CreateDBSubnetGroup: ['rds:CreateDBSubnetGroup', 'rds:AddTagsToResource'],
    ModifyDBInstance: ['rds:ModifyDBInstance'],
    ModifyDBCluster: ['rds:ModifyDBCluster'],
    DeleteDBInstance: ['rds:DeleteDBInstance'],
    DeleteDBCluster: ['rds:DeleteDBCluster'],
    DeleteDBSubnetGroup: ['rds:DeleteDBSubnetGroup'],
  },
  lambda: {
    GetFunction: ['lambda:GetFunction'],
    // GetFunction returns Tags only with this allowed; mbed-tsdb reads them explicitly.
    ListTags: ['lambda:ListTags'],
    GetFunctionConfiguration: ['lambda:GetFunctionConfiguration'],
    // A function in a VPC: Lambda checks the caller may see the subnets and groups given.
    CreateFunction: ['lambda:CreateFunction', 'lambda:TagResource', 'iam:PassRole', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
    UpdateFunctionCode: ['lambda:UpdateFunctionCode'],
    UpdateFunctionConfiguration: ['lambda:UpdateFunctionConfiguration', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
    DeleteFunction: ['lambda:DeleteFunction'],
    AddPermission: ['lambda:AddPermission'],
    RemovePermission: ['lambda:RemovePermission'],
    GetPolicy: ['lambda:GetPolicy'],
    Invoke: ['lambda:InvokeFunction'],
  },
  'cloudwatch-logs': {
    DescribeLogGroups: ['logs:DescribeLogGroups'],
    // logs:TagLogGroup is the older name some accounts' SCPs still use.
    CreateLogGroup: ['logs:CreateLogGroup', 'logs:TagResource', 'logs:TagLogGroup'],
    PutRetentionPolicy: ['logs:PutRetentionPolicy'],
    DeleteLogGroup: ['logs:DeleteLogGroup'],
    // mbed-tsdb logs
    FilterLogEvents: ['logs:FilterLogEvents'],
    StartLiveTail: ['logs:StartLiveTail'],
  },
  'api-gateway': {
    GetRestApis: ['apigateway:GET'],
    GetResources: ['apigateway:GET'],
    GetMethod: ['apigateway:GET'],
    GetStage: ['apigateway:GET'],
    CreateRestApi: ['apigateway:POST', 'apigateway:PUT'],
    CreateResource: ['apigateway:POST'],
    PutMethod: ['apigateway:PUT'],
    PutIntegration: ['apigateway:PUT'],
    PutMethodResponse: ['apigateway:PUT'],
    PutIntegrationResponse: ['apigateway:PUT'],
    CreateDeployment: ['apigateway:POST'],
    UpdateStage: ['apigateway:PATCH'],
    DeleteRestApi: ['apigateway:DELETE'],
  },
  scheduler: {
    GetScheduleGroup: ['scheduler:GetScheduleGroup'],
    // Tags given at creation need the tagging action too.
    CreateScheduleGroup: ['scheduler:CreateScheduleGroup', 'scheduler:TagResource'],
    DeleteScheduleGroup: ['scheduler:DeleteScheduleGroup'],
    ListTagsForResource: ['scheduler:ListTagsForResource'],
    GetSchedule: ['scheduler:GetSchedule'],
    // The schedule runs as its role: passing it is the caller's right to check.
    CreateSchedule: ['scheduler:CreateSchedule', 'iam:PassRole'],
    UpdateSchedule: ['scheduler:UpdateSchedule', 'iam:PassRole'],
    DeleteSchedule: ['scheduler:DeleteSchedule'],
  },
  sns: {
    // Tags given at creation need the tagging action too.
    CreateTopic: ['sns:CreateTopic', 'sns:TagResource'],
    ListTagsForResource: ['sns:ListTagsForResource'],
    DeleteTopic: ['sns:DeleteTopic'],
    Subscribe: ['sns:Subscribe'],
    ListSubscriptionsByTopic: ['sns:ListSubscriptionsByTopic'],
    GetSubscriptionAttributes: ['sns:GetSubscriptionAttributes'],
    Unsubscribe: ['sns:Unsubscribe'],
    // mbed-tsdb alerts --test
    Publish: ['sns:Publish'],
  },
  cloudwatch: {
    PutMetricAlarm: ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'],
    DescribeAlarms: ['cloudwatch:DescribeAlarms'],
    DeleteAlarms: ['cloudwatch:DeleteAlarms'],
    ListTagsForResource: ['cloudwatch:ListTagsForResource'],
  },
  pricing: {
    // The plan's cost estimate: prices are not an account's resources (Resource "*").
    GetProducts: ['pricing:GetProducts'],
  },
  sts: {
    // "No permissions are required to perform this operation" (STS API reference, GetCallerIdentity).
    GetCallerIdentity: [],
  },
} as const satisfies Record<string, Record<string, readonly string[]>>;

/**
 * Actions a command needs only when a parameter is given (the Service Authorization Reference's
 * dependent actions): deleting a database with a final snapshot creates that snapshot, which
 * AWS authorizes separately since 2024 — without it a least-privilege teardown stopped half-way.
 */
export const PARAMETER_ACTIONS: Record<string, Record<string, Record<string, readonly string[]>>> = {
  rds: {
    DeleteDBInstance: { FinalDBSnapshotIdentifier: ['rds:CreateDBSnapshot'] },
    DeleteDBCluster: { FinalDBSnapshotIdentifier: ['rds:CreateDBClusterSnapshot'] },
  },
};

export type ClientName = keyof typeof COMMAND_ACTIONS;

/** Every IAM action one call needs: the command's, and those its given parameters imply. */
export function actionsForCall(client: string, command: string, input: Record<string, unknown>): readonly string[] | undefined {
  const base = actionsFor(client, command);
  if (!base) return undefined;
  const implied = Object.entries(PARAMETER_ACTIONS[client]?.[command.replace(/Command$/, '')] ?? {})
    .filter(([parameter]) => input[parameter] !== undefined)
    .flatMap(([, actions]) => actions);
  return [...base, ...implied];
}

/** The IAM actions a command needs, or undefined for a command not in the table. */
export function actionsFor(client: string, command: string): readonly string[] | undefined {
  const table = (COMMAND_ACTIONS as Record<string, Record<string, readonly string[]>>)[client];
  return table?.[command.replace(/Command$/, '')];
}

/** Which client a command's SDK service id (context.clientName, e.g. "LambdaClient") belongs to. */
export const CLIENT_OF_SERVICE: Record<string, ClientName> = {
  IAMClient: 'iam',
  EC2Client: 'ec2',
  RDSClient: 'rds',
  LambdaClient: 'lambda',
  CloudWatchLogsClient: 'cloudwatch-logs',
  APIGatewayClient: 'api-gateway',
  SchedulerClient: 'scheduler',
  SNSClient: 'sns',
  CloudWatchClient: 'cloudwatch',
  PricingClient: 'pricing',
  STSClient: 'sts',
};

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

const TAG = 'mbed-tsdb:stack';

/**
 * Least privilege for setup, status, subscribe, alerts, logs and teardown of any stack: resources scoped by
 * the names mbed-tsdb gives them (every stack's name starts the same) and, where AWS allows a
 * condition, by the stack tag; iam:PassRole only for our role, only to Lambda.
 */
export function leastPrivilegePolicy(region = 'us-east-1'): PolicyDocument {
  const p = partitionOf(region).partition;
  const role = `arn:${p}:iam::*:role/mbed_time_series_database*`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TheWebhookRole',
        Effect: 'Allow',
        Action: [
          'iam:CreateRole',
          'iam:TagRole',
          'iam:GetRole',
          'iam:ListRoleTags',
          'iam:ListAttachedRolePolicies',
          'iam:DetachRolePolicy',
          'iam:DeleteRole',
          // Its one inline policy, rds-db:connect as the webhook's database user. (IAM cannot limit
          // what an inline policy says: only which role it is put on.)
          'iam:PutRolePolicy',
          'iam:GetRolePolicy',
          'iam:ListRolePolicies',
          'iam:DeleteRolePolicy',
        ],
        Resource: role,
      },
      {
        Sid: 'OnlyTheTwoLambdaPolicies',
        Effect: 'Allow',
        Action: ['iam:AttachRolePolicy'],
        Resource: role,
        Condition: {
          ArnEquals: {
            'iam:PolicyARN': [
              `arn:${p}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`,
              `arn:${p}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`,
            ],
          },
        },
      },
      { Sid: 'PassTheRoleToLambdaOnly', Effect: 'Allow', Action: ['iam:PassRole'], Resource: role, Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } },
      {
        Sid: 'PassTheMaintenanceRoleToSchedulerOnly',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [`arn:${p}:iam::*:role/mbed_time_series_database-maintenance`, `arn:${p}:iam::*:role/mbed_time_series_database-mnt-*`],
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
      {
        Sid: 'RdsServiceLinkedRole',
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole'],
        Resource: `arn:${p}:iam::*:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS`,
        Condition: { StringEquals: { 'iam:AWSServiceName': 'rds.amazonaws.com' } },
      },
      // Describe calls cannot be scoped to resources.
      { Sid: 'ReadTheNetwork', Effect: 'Allow', Action: ['ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'], Resource: '*' },
      {
        Sid: 'MakeTaggedSecurityGroups',
        Effect: 'Allow',
        Action: ['ec2:CreateSecurityGroup'],
        Resource: `arn:${p}:ec2:*:*:security-group/*`,
        Condition: { Null: { [`aws:RequestTag/${TAG}`]: 'false' } },
      },
      { Sid: 'InAnyVpc', Effect: 'Allow', Action: ['ec2:CreateSecurityGroup'], Resource: `arn:${p}:ec2:*:*:vpc/*` },
      {
        Sid: 'TagThemWhenMade',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: `arn:${p}:ec2:*:*:security-group/*`,
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } },
      },
      {
        Sid: 'ChangeOnlyOurSecurityGroups',
        Effect: 'Allow',
        Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'],
        Resource: `arn:${p}:ec2:*:*:security-group/*`,
        Condition: { Null: { [`aws:ResourceTag/${TAG}`]: 'false' } },
      },
      {
        Sid: 'ReadDatabases',
        Effect: 'Allow',
        Action: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:DescribeDBSubnetGroups', 'rds:DescribeDBEngineVersions', 'rds:DescribeOrderableDBInstanceOptions', 'rds:ListTagsForResource'],
        Resource: '*',
      },
      {
        Sid: 'OurDatabase',
        Effect: 'Allow',
        Action: [
          'rds:CreateDBInstance',
          'rds:CreateDBCluster',
          'rds:CreateDBSubnetGroup',
          'rds:AddTagsToResource',
          'rds:ModifyDBInstance',
          'rds:ModifyDBCluster',
          'rds:DeleteDBInstance',
          'rds:DeleteDBCluster',
          'rds:DeleteDBSubnetGroup',
        ],
        Resource: [`arn:${p}:rds:*:*:db:tsdb*`, `arn:${p}:rds:*:*:cluster:tsdb*`, `arn:${p}:rds:*:*:subgrp:mbed-tsdb*`],
      },
      {
        // teardown --final-snapshot: the snapshot deleting the database makes, under any name given.
        Sid: 'FinalSnapshots',
        Effect: 'Allow',
        Action: ['rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot'],
        Resource: [`arn:${p}:rds:*:*:db:tsdb*`, `arn:${p}:rds:*:*:cluster:tsdb*`, `arn:${p}:rds:*:*:snapshot:*`, `arn:${p}:rds:*:*:cluster-snapshot:*`],
      },
      {
        // A new database uses the region's default option and parameter groups.
        Sid: 'DefaultDatabaseGroups',
        Effect: 'Allow',
        Action: ['rds:CreateDBInstance', 'rds:CreateDBCluster'],
        Resource: [`arn:${p}:rds:*:*:og:default*`, `arn:${p}:rds:*:*:pg:default*`, `arn:${p}:rds:*:*:cluster-pg:default*`],
      },
      {
        Sid: 'TheWebhookFunction',
        Effect: 'Allow',
        Action: [
          'lambda:CreateFunction',
          'lambda:TagResource',
          'lambda:ListTags',
          'lambda:GetFunction',
          'lambda:GetFunctionConfiguration',
          'lambda:UpdateFunctionCode',
          'lambda:UpdateFunctionConfiguration',
          'lambda:DeleteFunction',
          'lambda:AddPermission',
          'lambda:RemovePermission',
          'lambda:GetPolicy',
          'lambda:InvokeFunction',
        ],
        Resource: `arn:${p}:lambda:*:*:function:mbed_time_series_webhook*`,
      },
      { Sid: 'FindLogGroups', Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: '*' },
      {
        Sid: 'TheFunctionsLogGroup',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:TagResource', 'logs:TagLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteLogGroup', 'logs:FilterLogEvents', 'logs:StartLiveTail'],
        Resource: `arn:${p}:logs:*:*:log-group:/aws/lambda/mbed_time_series_webhook*`,
      },
      {
        // Scheduler takes no resource of a single schedule: its group's schedules (aws-cdk #31834).
        Sid: 'TheMaintenanceSchedule',
        Effect: 'Allow',
        Action: [
          'scheduler:GetScheduleGroup',
          'scheduler:CreateScheduleGroup',
          'scheduler:TagResource',
          'scheduler:DeleteScheduleGroup',
          'scheduler:ListTagsForResource',
          'scheduler:GetSchedule',
          'scheduler:CreateSchedule',
          'scheduler:UpdateSchedule',
          'scheduler:DeleteSchedule',
        ],
        Resource: [`arn:${p}:scheduler:*:*:schedule-group/mbed-tsdb*`, `arn:${p}:scheduler:*:*:schedule/mbed-tsdb*/*`],
      },
      {
        Sid: 'TheAlertTopic',
        Effect: 'Allow',
        Action: [
          'sns:CreateTopic',
          'sns:TagResource',
          'sns:ListTagsForResource',
          'sns:DeleteTopic',
          'sns:Subscribe',
          'sns:ListSubscriptionsByTopic',
          // A subscription's ARN is its topic's followed by `:<id>`: the same pattern names it.
          'sns:GetSubscriptionAttributes',
          'sns:Unsubscribe',
          'sns:Publish',
        ],
        Resource: `arn:${p}:sns:*:*:mbed-tsdb-alerts*`,
      },
      { Sid: 'ReadPrices', Effect: 'Allow', Action: ['pricing:GetProducts'], Resource: '*' },
      { Sid: 'FindAlarms', Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms'], Resource: '*' },
      {
        Sid: 'TheAlarms',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource', 'cloudwatch:DeleteAlarms', 'cloudwatch:ListTagsForResource'],
        Resource: `arn:${p}:cloudwatch:*:*:alarm:mbed-tsdb-*`,
      },
      {
        // API Gateway's resources have ids, not names: the REST APIs of the account.
        Sid: 'TheWebhookApi',
        Effect: 'Allow',
        Action: ['apigateway:GET', 'apigateway:POST', 'apigateway:PUT', 'apigateway:PATCH', 'apigateway:DELETE'],
        Resource: [`arn:${p}:apigateway:*::/restapis`, `arn:${p}:apigateway:*::/restapis/*`, `arn:${p}:apigateway:*::/tags/*`],
      },
    ],
  };
}

/** Whether a policy's Action list grants this action (wildcards such as `ec2:Describe*` included). */
export function grants(policy: PolicyDocument, action: string): boolean {
  return policy.Statement.some((s) =>
    s.Action.some((pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action)),
  );
}
