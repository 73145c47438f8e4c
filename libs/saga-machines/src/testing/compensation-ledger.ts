// The compensation rules of API.md ("Parallel steps, items, the pivot"), kept apart from the
// machine: a ledger fed with a path's events and the commands each one produced, which says
// when a command breaks a rule. It reads nothing of the machine's own bookkeeping, so a
// machine that miscounts cannot vouch for itself. For a sequential definition each step
// depends on the one before, and the same rules say "undo in exactly the reverse order".
import { forEachItems } from '../json-pointer';
import type { SagaCommand } from '../saga-command';
import type { SagaDefinition } from '../saga-definition';
import type { SagaEvent } from '../saga-events';
import { stepGraph, type StepGraph } from '../step-graph';

/** An invocation: a step (`charge`) or one item of a forEach step (`seats#1`). */
export type InvocationKey = string;

export const invocationKey = (step: string, item?: number): InvocationKey =>
  item === undefined ? step : `${step}#${item}`;

const stepOfKey = (key: InvocationKey) => key.split('#')[0];

/** Every step that depends on `step`, directly or through others. */
function descendantsOf(graph: StepGraph, step: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    for (const d of graph.dependents.get(name) ?? []) {
      if (!seen.has(d)) {
        seen.add(d);
        visit(d);
      }
    }
  };
  visit(step);
  return seen;
}

export class CompensationLedger {
  private readonly graph: StepGraph;
  /** Item count of each forEach step (absent: a single-call step). */
  private readonly itemCounts = new Map<string, number>();
  readonly started = new Set<InvocationKey>();
  readonly running = new Set<InvocationKey>();
  /** In the order they succeeded. */
  readonly succeeded: InvocationKey[] = [];
  /** Failed for good in the current forward round (a forward RETRY runs them again). */
  readonly failed: InvocationKey[] = [];
  readonly undoRunning = new Set<InvocationKey>();
  readonly undone = new Map<InvocationKey, number>();
  /** Compensations that failed for good since the last RETRY. */
  readonly undoFailed = new Set<InvocationKey>();
  lastUndoFailure: InvocationKey | null = null;
  /** Compensations dispatched, in order (a RETRY dispatches a failed one again). */
  readonly compensations: InvocationKey[] = [];
  cancelled = false;
  pivotSucceeded = false;

  constructor(
    private readonly definition: SagaDefinition,
    input: unknown,
  ) {
    this.graph = stepGraph(definition);
    for (const s of definition.steps) {
      if (s.forEach !== undefined) {
        this.itemCounts.set(s.name, forEachItems(input, s.forEach)?.length ?? 0);
      }
    }
  }

  /** An independent copy (paths that share a prefix continue from the same ledger). */
  clone(): CompensationLedger {
    const copy = new CompensationLedger(this.definition, null);
    this.itemCounts.forEach((n, step) => copy.itemCounts.set(step, n));
    this.started.forEach((k) => copy.started.add(k));
    this.running.forEach((k) => copy.running.add(k));
    copy.succeeded.push(...this.succeeded);
    copy.failed.push(...this.failed);
    this.undoRunning.forEach((k) => copy.undoRunning.add(k));
    this.undone.forEach((n, k) => copy.undone.set(k, n));
    this.undoFailed.forEach((k) => copy.undoFailed.add(k));
    copy.lastUndoFailure = this.lastUndoFailure;
    copy.compensations.push(...this.compensations);
    copy.cancelled = this.cancelled;
    copy.pivotSucceeded = this.pivotSucceeded;
    return copy;
  }

  /** Every invocation of the definition, in definition and index order. */
  keys(): InvocationKey[] {
    return this.definition.steps.flatMap((s) => this.keysOf(s.name));
  }

  keysOf(step: string): InvocationKey[] {
    const n = this.itemCounts.get(step);
    return n === undefined ? [step] : Array.from({ length: n }, (_, i) => invocationKey(step, i));
  }

  private halting(): boolean {
    return this.cancelled || this.failed.length > 0;
  }

  private stepSucceeded(step: string): boolean {
    return this.keysOf(step).every((k) => this.succeeded.includes(k));
  }

  /** Records what `event` means by the rules (before its commands are checked). */
  record(event: SagaEvent): void {
    const key = 'step' in event ? invocationKey(event.step, event.item) : '';
    switch (event.type) {
      case 'CANCEL':
        this.cancelled = true;
        break;
      case 'STEP_SUCCEEDED':
        this.running.delete(key);
        this.succeeded.push(key);
        if (event.step === this.graph.pivot) this.pivotSucceeded = true;
        break;
      case 'STEP_ATTEMPT_FAILED':
        // Once the saga is stopping (and before the pivot), a failed attempt ends the step.
        if (!this.halting() || this.pivotSucceeded) break;
        this.running.delete(key);
        this.failed.push(key);
        break;
      case 'STEP_FAILED':
        this.running.delete(key);
        this.failed.push(key);
        break;
      case 'COMPENSATION_SUCCEEDED':
        this.undoRunning.delete(key);
        this.undone.set(key, (this.undone.get(key) ?? 0) + 1);
        break;
      case 'COMPENSATION_FAILED':
        this.undoRunning.delete(key);
        this.undoFailed.add(key);
        this.lastUndoFailure = key;
        break;
      case 'RETRY':
        if (this.pivotSucceeded) {
          // Forward: the failed steps (and the items a stopped step never ran) go again.
          const again = new Set(this.failed.map(stepOfKey));
          for (const k of [...this.started]) {
            if (again.has(stepOfKey(k)) && !this.succeeded.includes(k)) this.started.delete(k);
          }
          this.failed.length = 0;
        } else {
          this.undoFailed.clear();
        }
        break;
    }
  }

  /** What rule `command` breaks, given the events recorded so far; null when none. */
  violation(command: Pick<SagaCommand, 'kind' | 'step' | 'item'>): string | null {
    const key = invocationKey(command.step, command.item?.index);
    return command.kind === 'execute' ? this.executeViolation(key) : this.undoViolation(key);
  }

  private executeViolation(key: InvocationKey): string | null {
    const step = stepOfKey(key);
    if (this.halting()) return `${key} started while the saga was stopping`;
    if (this.started.has(key)) return `${key} started twice`;
    const waiting = (this.graph.dependencies.get(step) ?? []).filter((d) => !this.stepSucceeded(d));
    if (waiting.length > 0) return `${key} started before ${waiting.join(', ')} succeeded`;
    const keys = this.keysOf(step);
    const index = keys.indexOf(key);
    const skipped = keys.slice(0, index).filter((k) => !this.started.has(k));
    if (skipped.length > 0) return `${key} started before ${skipped.join(', ')} (index order)`;
    const limit = this.graph.steps.get(step)?.concurrency ?? 1;
    if (keys.filter((k) => this.running.has(k)).length >= limit) {
      return `${key} started with ${limit} items of ${step} already running (concurrency)`;
    }
    this.started.add(key);
    this.running.add(key);
    return null;
  }

  private undoViolation(key: InvocationKey): string | null {
    const step = stepOfKey(key);
    if (this.pivotSucceeded) return `${key} compensated after the pivot succeeded`;
    if (!this.succeeded.includes(key)) return `${key} compensated but it never succeeded`;
    if ((this.undone.get(key) ?? 0) > 0) return `${key} compensated twice`;
    if (this.undoRunning.has(key)) return `${key} compensation dispatched twice`;
    if (this.running.size > 0) {
      return `${key} compensated while ${[...this.running].join(', ')} still ran`;
    }
    const keys = this.keysOf(step);
    const begun = keys.some((k) => (this.undone.get(k) ?? 0) > 0 || this.undoRunning.has(k));
    // The items of a step whose undoing has begun carry on; no step *starts* its undoing then.
    if (this.undoFailed.size > 0 && !begun) {
      return `${key} compensation started after ${[...this.undoFailed].join(', ')} failed`;
    }
    const notYet = [...descendantsOf(this.graph, step)]
      .flatMap((d) => this.keysOf(d))
      .filter((k) => this.succeeded.includes(k) && (this.undone.get(k) ?? 0) === 0);
    if (notYet.length > 0) {
      return `${key} compensated before its dependents ${notYet.join(', ')} were undone`;
    }
    const later = keys
      .slice(keys.indexOf(key) + 1)
      .filter((k) => this.succeeded.includes(k) && (this.undone.get(k) ?? 0) === 0);
    if (later.length > 0)
      return `${key} compensated before ${later.join(', ')} (reverse index order)`;
    this.undoRunning.add(key);
    this.compensations.push(key);
    return null;
  }
}
