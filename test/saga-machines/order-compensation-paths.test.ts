import { orderDefinition, sagaStatePath } from '@app/saga-machines';
import {
  checkCompensationPath,
  checkCompensationTransitionCoverage,
  compensationTransitions,
  generateCompensationPaths,
} from '@app/saga-machines/testing';

// Generated with xstate/graph from the `order` machine (see generateCompensationPaths): the
// shortest path to every distinct compensation outcome, plus a path through every other
// explored transition (retryable attempt failures). A change here means the machine changed.
const ORDER_COMPENSATION_PATHS = 290;

const paths = generateCompensationPaths(orderDefinition);

describe('order saga: every compensation path (model-based, xstate/graph)', () => {
  it('generates the pinned number of paths', () => {
    console.log(`order: ${paths.length} compensation paths checked`);
    expect(paths.length).toBe(ORDER_COMPENSATION_PATHS);
  });

  it('covers failure and cancel at each step, each failed compensation, RETRY and attempt failures', () => {
    const all = paths.map((p) => p.description);
    const names = orderDefinition.steps.map((s) => s.name);
    for (const step of names) {
      expect(all.some((d) => d.includes(`STEP_FAILED(${step})`))).toBe(true);
      expect(all.some((d) => new RegExp(`CANCEL → STEP_SUCCEEDED\\(${step}\\)`).test(d))).toBe(
        true,
      );
      expect(all.some((d) => new RegExp(`CANCEL → STEP_FAILED\\(${step}\\)`).test(d))).toBe(true);
      expect(all.some((d) => d.includes(`COMPENSATION_FAILED(${step})`))).toBe(true);
      expect(all.some((d) => d.includes(`STEP_ATTEMPT_FAILED(${step})`))).toBe(true);
      expect(all.some((d) => d.includes(`COMPENSATION_ATTEMPT_FAILED(${step})`))).toBe(true);
    }
    // The last step's success completes the saga, so only the others can succeed after a retry.
    for (const step of names.slice(0, -1)) {
      expect(
        all.some((d) => d.includes(`STEP_ATTEMPT_FAILED(${step}) → STEP_SUCCEEDED(${step})`)),
      ).toBe(true);
    }
    expect(all.some((d) => /RETRY → .*⇒ COMPENSATED$/.test(d))).toBe(true);
  });

  it.each(paths.map((path) => [path.description, path] as const))('%s', (_description, path) => {
    // checkCompensationPath throws on any broken invariant; the expectations restate the main ones.
    const result = checkCompensationPath(orderDefinition, path);
    expect(result.status).toBe(sagaStatePath(path.state.value));
    const distinct = result.compensations.filter((s, i) => s !== result.compensations[i - 1]);
    const reverse = [...result.succeeded].reverse();
    if (result.status === 'COMPENSATED') expect(distinct).toEqual(reverse);
    else expect(distinct).toEqual(reverse.slice(0, distinct.length));
  });
});

describe('order saga: transition coverage of the compensation paths', () => {
  it('every transition into COMPENSATING.*, FAILED or COMPENSATED (read from the machine) is taken', () => {
    expect(compensationTransitions(orderDefinition).length).toBeGreaterThan(30);
    expect(checkCompensationTransitionCoverage(orderDefinition, paths)).toEqual([]);
  });

  it('reports a transition when no path takes it (the check can fail)', () => {
    const dropped = paths.filter(
      (path) =>
        !path.steps.some(
          (step) =>
            step.event.type === 'COMPENSATION_FAILED' &&
            'step' in step.event &&
            step.event.step === 'process_payment',
        ),
    );
    expect(dropped.length).toBeLessThan(paths.length);
    const uncovered = checkCompensationTransitionCoverage(orderDefinition, dropped);
    // Without them, neither that failure nor the RETRY that follows it is taken any more (and
    // any transition whose only path went on to that failure is reported as well).
    const reported = uncovered.map((e) => `${e.source} ${e.event} ${e.target}`);
    expect(reported).toContain('COMPENSATING.process_payment COMPENSATION_FAILED FAILED');
    expect(reported).toContain('FAILED RETRY COMPENSATING.process_payment');
    expect(reported.every((r) => r.includes('process_payment'))).toBe(true);
  });
});
