// A StepContext for tests: the real client factory (intercepted by the fake), recorded
// progress, and a clock and sleep that do not wait.
import { createAwsClients } from '../../src/aws/clients.js';
import { stackNames, stackTags } from '../../src/stack/naming.js';
import type { SetupAnswers, StepContext } from '../../src/stack/step.js';
import type { StackState } from '../../src/stack/state.js';
import { createProgress } from '../../src/ui/progress.js';

export function stepContext(options: { stack?: string; state?: StackState; answers?: Partial<SetupAnswers> } = {}): StepContext & { clock: { now: number }; log: () => string } {
  const stack = options.stack ?? 'mbed-tsdb';
  const clock = { now: 0 };
  let log = '';
  return {
    stack,
    answers: {
      engine: 'mysql',
      access: 'my-ip',
      cidr: '203.0.113.7/32',
      connectorHost: 'https://api.us-east-1.mbedcloud.com',
      endpoints: ['dev-1'],
      resource: '/3200/0/5501',
      ...options.answers,
    },
    names: stackNames(stack),
    tags: stackTags(stack),
    aws: createAwsClients({ region: 'us-west-2', profile: undefined, env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } }),
    state: options.state ?? { version: 1, stack },
    progress: createProgress({ stream: { write: (s: string) => (log += s) }, animate: false, now: () => clock.now }),
    sleep: async (ms) => {
      clock.now += ms;
    },
    now: () => clock.now,
    // Fixed jitter: the same calls at the same virtual times on every run.
    random: () => 0.5,
    clock,
    log: () => log,
  };
}
