// The region of the chosen profile in the shared config files (~/.aws/config, or
// AWS_CONFIG_FILE), read with the SDK's own loader: what the AWS CLI and the SDK use when no
// --region or AWS_REGION says otherwise.

import { homedir } from 'node:os';
import { join } from 'node:path';

export async function profileRegion(env: Record<string, string | undefined>, profile: string | undefined): Promise<{ region: string; profile: string } | null> {
  const name = profile ?? env.AWS_PROFILE ?? 'default';
  try {
    // Loaded here, not at the top: `--help` and commands that need no region never pay for it.
    const { loadSharedConfigFiles } = await import('@smithy/core/config');
    const home = env.HOME || homedir();
    const { configFile, credentialsFile } = await loadSharedConfigFiles({
      configFilepath: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
      filepath: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
      ignoreCache: true,
    });
    // As the SDK does: the config file wins over the credentials file.
    const region = configFile[name]?.region ?? credentialsFile[name]?.region;
    return region ? { region, profile: name } : null;
  } catch {
    return null;
  }
}
