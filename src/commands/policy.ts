// mbed-tsdb policy: the least-privilege IAM policy the other commands need, as JSON on stdout,
// ready for `aws iam create-policy --policy-document file://…`.

import { leastPrivilegePolicy } from '../aws/permissions.js';
import type { CommandContext } from './context.js';

export async function run(context: CommandContext): Promise<number> {
  const policy = leastPrivilegePolicy(context.settings.region ?? context.settings.profileRegion ?? 'us-east-1');
  // The document itself is the result, with or without --json.
  context.out.result(policy, JSON.stringify(policy, null, 2));
  context.out.info('Attach it to the user or role that runs mbed-tsdb (README: AWS permissions).');
  return 0;
}
