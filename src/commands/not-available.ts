// Commands whose issue has not been built yet say so plainly instead of pretending.

import { UserFacingError } from '../errors.js';
import type { CommandContext } from './context.js';

export function notAvailable(command: string, what: string) {
  return async (context: CommandContext): Promise<number> => {
    throw new UserFacingError(
      `'mbed-tsdb ${command}' is not available yet in version ${context.version}: ${what} is still being built. ` +
        'Nothing was changed in your AWS account or Connector.',
    );
  };
}
