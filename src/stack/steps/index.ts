// Every step, in the tutorial's order; the engine runs them as their dependencies allow.
import type { Step } from '../step.js';
import { accessRulesStep, accessStep } from './access.js';
import { alertsStep } from './alerts.js';
import { apiStep } from './api.js';
import { configureStep } from './configure.js';
import { connectorStep } from './connector.js';
import { databaseReadyStep, databaseStep } from './database.js';
import { dbAccessStep } from './db-access.js';
import { functionStep } from './function.js';
import { networkStep } from './network.js';
import { roleStep } from './role.js';
import { reshapeStep } from './reshape.js';
import { retentionStep } from './retention.js';
import { rollupStep } from './rollup.js';
import { scheduleStep } from './schedule.js';
import { selftestStep } from './selftest.js';
import { tableStep } from './table.js';

export const SETUP_STEPS: Step[] = [
  roleStep,
  networkStep,
  databaseStep,
  databaseReadyStep,
  dbAccessStep,
  accessStep,
  accessRulesStep,
  tableStep,
  functionStep,
  configureStep,
  rollupStep,
  reshapeStep,
  retentionStep,
  scheduleStep,
  apiStep,
  connectorStep,
  alertsStep,
  selftestStep,
] as Step[];
