import type { SagaDefinition } from '../saga-definition';

/**
 * The bound on items the model explores for a forEach step: its concurrency + 1, so that at
 * least one item waits for a free slot (and can be left unstarted by a failure or a cancel).
 * Why more items add no new way into compensation is argued in `compensation-model.ts`.
 */
export function modelItemCount(step: SagaDefinition['steps'][number]): number {
  return (step.concurrency ?? 1) + 1;
}

function setAt(document: Record<string, unknown>, pointer: string, value: unknown): void {
  const keys = pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = document;
  keys.slice(0, -1).forEach((key) => {
    const next = node[key];
    node[key] = typeof next === 'object' && next !== null ? next : {};
    node = node[key] as Record<string, unknown>;
  });
  node[keys[keys.length - 1]] = value;
}

/**
 * The saga input the model starts with: for every forEach pointer an array of
 * {@link modelItemCount} items (the largest count when several steps share the pointer);
 * `{}` for a definition without forEach. The machine reads nothing else of the input.
 */
export function compensationModelInput(definition: SagaDefinition): Record<string, unknown> {
  const counts = new Map<string, number>();
  for (const step of definition.steps) {
    if (step.forEach === undefined) continue;
    counts.set(step.forEach, Math.max(counts.get(step.forEach) ?? 0, modelItemCount(step)));
  }
  const input: Record<string, unknown> = {};
  for (const [pointer, n] of counts) {
    setAt(
      input,
      pointer,
      Array.from({ length: n }, (_, i) => `item-${i}`),
    );
  }
  return input;
}
