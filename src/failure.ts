// Any error, as the user sees it: ours keep their code; AWS's are put in words; anything
// else is a bug (INTERNAL), its message kept as the cause.

import { explainAwsError } from './aws/errors.js';
import { UserFacingError } from './errors.js';

export function asUserFacing(error: unknown): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const aws = explainAwsError(error);
  if (aws) return aws;
  return new UserFacingError(`unexpected error: ${(error as Error)?.message ?? String(error)}`, { code: 'INTERNAL', cause: error });
}
