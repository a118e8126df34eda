// The tutorial's §8 for those who want QuickSight: the console steps, filled in for the stack.

export interface QuickSightTarget {
  host: string;
  port: number;
  database: string;
  table: string;
  user: string;
  region?: string | undefined;
}

export function quickSightSteps(target: QuickSightTarget): string {
  return [
    'QuickSight (a separate, paid AWS sign-up) can draw the same chart:',
    `1. Sign up for QuickSight in region ${target.region ?? '(the stack\'s region)'} and allow it to reach RDS`,
    '   (QuickSight → Manage QuickSight → Security & permissions → Amazon RDS).',
    '2. Datasets → New dataset → RDS (or MySQL), with:',
    `     Database server:  ${target.host}`,
    `     Port:             ${target.port}`,
    `     Database name:    ${target.database}`,
    `     Username:         ${target.user}`,
    '     Password:         the database password (kept in your mbed-tsdb state file, never printed)',
    '   and enable SSL.',
    `3. Choose table "${target.table}" → "Directly query your data" → Visualize.`,
    '4. Pick the vertical bar chart. Field wells:',
    '     X axis: ts, aggregate by hour',
    '     Value:  value (Sum)',
    '5. Title it "Hours with Button Presses".',
    'Note: QuickSight connects from AWS, not from your IP: in my-ip mode add QuickSight\'s',
    'regional IP range to the database security group, or use a QuickSight VPC connection.',
  ].join('\n');
}
