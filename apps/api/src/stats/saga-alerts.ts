// The alerts of `GET /api/v1/stats`, decided from the figures alone (pure). The same three
// alerts exist as Prometheus rules in ops/alerts.yml, over the exported metrics.
import type { AppConfig } from '../config/app-config';

export interface SagaAlert {
  name: 'SagaHighFailureRate' | 'SagaCompensationStorm' | 'SagaStuckInProgress';
  severity: 'critical' | 'warning';
  message: string;
  value: number;
  threshold: number;
}

export interface AlertInputs {
  window: string;
  finished: number;
  failureRate: number;
  compensationRate: number;
  stuck: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Alerts that fire for these figures, most severe first. */
export function evaluateAlerts(s: AlertInputs, thresholds: AppConfig['stats']): SagaAlert[] {
  const alerts: SagaAlert[] = [];
  if (s.finished > 0 && s.failureRate > thresholds.failureRateThreshold) {
    alerts.push({
      name: 'SagaHighFailureRate',
      severity: 'critical',
      message: `${pct(s.failureRate)} of the ${s.finished} sagas finished in the last ${s.window} ended FAILED (over ${pct(thresholds.failureRateThreshold)}): compensations could not complete and need a person (POST /api/v1/sagas/:id/retry).`,
      value: s.failureRate,
      threshold: thresholds.failureRateThreshold,
    });
  }
  if (s.stuck > 0) {
    alerts.push({
      name: 'SagaStuckInProgress',
      severity: 'critical',
      message: `${s.stuck} saga(s) not final more than ${thresholds.stuckAfterMs} ms after creation: check the step workers and the queue.`,
      value: s.stuck,
      threshold: 0,
    });
  }
  if (s.finished > 0 && s.compensationRate > thresholds.compensationRateThreshold) {
    alerts.push({
      name: 'SagaCompensationStorm',
      severity: 'warning',
      message: `${pct(s.compensationRate)} of the ${s.finished} sagas finished in the last ${s.window} were compensated (over ${pct(thresholds.compensationRateThreshold)}): look at stepFailures for the step that fails.`,
      value: s.compensationRate,
      threshold: thresholds.compensationRateThreshold,
    });
  }
  return alerts;
}
