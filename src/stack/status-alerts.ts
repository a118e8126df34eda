// status's §8 rows: whether the alert address will get anything (SNS mails nothing until the
// confirmation link is clicked), each alarm's state, and the watch that counts quiet devices.

import { DEFAULT_QUIET_AFTER_MINUTES, wantedAlarmNames } from './alarms.js';
import type { StepContext } from './step.js';
import { describeAlarms, subscriptionState, type AlertsOutput } from './steps/alerts.js';
import { findSchedule, scheduleDrift, watchSchedule } from './steps/schedule.js';
import type { ScheduleOutput } from './steps/schedule.js';
import type { FunctionOutput } from './steps/function.js';
import type { StatusRow } from './status.js';

const STEP = '§8 alerts';

export async function alertRows(ctx: StepContext): Promise<StatusRow[]> {
  const email = ctx.answers.alertEmail;
  if (!email) return [];
  const saved = ctx.state.outputs?.alerts as AlertsOutput | undefined;
  if (!saved) return [{ step: STEP, resource: email, state: 'missing', ok: false, note: 'no alerts made yet: run mbed-tsdb setup' }];
  const [sns, cloudwatch, scheduler] = await Promise.all([ctx.aws.sns(), ctx.aws.cloudwatch(), ctx.aws.scheduler()]);
  const [subscription, alarms, watch] = await Promise.all([
    subscriptionState(sns, saved.subscriptionArn),
    describeAlarms(cloudwatch, ctx.names.alarmPrefix),
    findSchedule(scheduler, ctx, watchSchedule.name),
  ]);
  const rows: StatusRow[] = [
    subscription === 'confirmed'
      ? { step: STEP, resource: `email ${saved.email}`, state: 'confirmed', ok: true }
      : {
          step: STEP,
          resource: `email ${saved.email}`,
          state: subscription === 'pending' ? 'pending confirmation' : 'unsubscribed',
          ok: false,
          note:
            subscription === 'pending'
              ? 'nothing is mailed until the link in the mail from AWS Notifications is clicked (mbed-tsdb alerts --email sends it again)'
              : 'the link was not clicked within three days, or the address unsubscribed: mbed-tsdb alerts --email to subscribe it again',
        },
  ];
  for (const name of wantedAlarmNames(ctx.names.alarmPrefix, ctx.answers.engine === 'mysql')) {
    const alarm = alarms.get(name);
    if (!alarm) {
      rows.push({ step: STEP, resource: `alarm ${name}`, state: 'missing', ok: false, note: 'run mbed-tsdb setup' });
      continue;
    }
    const state = alarm.StateValue ?? 'INSUFFICIENT_DATA';
    rows.push({
      step: STEP,
      resource: `alarm ${name}`,
      state: state === 'INSUFFICIENT_DATA' ? 'no data yet' : state.toLowerCase(),
      ok: state !== 'ALARM',
      ...(state === 'ALARM' ? { note: alarm.AlarmDescription ?? '' } : {}),
    });
  }
  const fn = ctx.state.outputs?.function as FunctionOutput | undefined;
  const role = (ctx.state.outputs?.schedule as ScheduleOutput | undefined)?.roleArn;
  const drift = !watch ? 'missing' : fn && role ? scheduleDrift(watch, fn.arn, role, watchSchedule) : null;
  rows.push(
    drift
      ? { step: STEP, resource: `schedule ${ctx.names.scheduleGroup}/${watchSchedule.name}`, state: watch ? 'drifted' : 'missing', ok: false, note: `${watch ? `${drift}: ` : ''}quiet devices are not counted: run mbed-tsdb setup` }
      : { step: STEP, resource: `schedule ${ctx.names.scheduleGroup}/${watchSchedule.name}`, state: 'ok', ok: true, note: `devices quiet for ${ctx.answers.quietAfterMinutes ?? DEFAULT_QUIET_AFTER_MINUTES} minutes counted every 5 minutes` },
  );
  return rows;
}
