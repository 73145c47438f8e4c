import type { SagaDefinition } from './saga-definition';

/**
 * The value at an RFC 6901 JSON Pointer (`/passengers`, `/a~1b/0`) in `document`, or
 * `undefined` when the pointer leads nowhere. A dozen lines: no library is worth the import.
 */
export function resolveJsonPointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let value: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(key)) return undefined;
      value = value[Number(key)];
    } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, key)) {
      value = (value as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  return value;
}

/** The items a `forEach` step runs over: the array at `pointer`, or null when there is none. */
export function forEachItems(input: unknown, pointer: string): unknown[] | null {
  const value = resolveJsonPointer(input, pointer);
  return Array.isArray(value) ? value : null;
}

/**
 * What is wrong with `input` for the forEach steps of `definition` (each pointer must name an
 * array of 1–`maxItems` items), as `{ path, message }` details; empty when nothing is.
 */
export function forEachInputIssues(
  definition: Pick<SagaDefinition, 'steps'>,
  input: unknown,
  maxItems: number,
): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  for (const step of definition.steps) {
    if (step.forEach === undefined) continue;
    const items = forEachItems(input, step.forEach);
    const where = `input${step.forEach.replace(/\//g, '.')}`;
    if (items === null) {
      issues.push({
        path: where,
        message: `step '${step.name}' runs once per item of ${step.forEach}: give an array there.`,
      });
    } else if (items.length < 1 || items.length > maxItems) {
      issues.push({
        path: where,
        message: `step '${step.name}' needs 1 to ${maxItems} items at ${step.forEach}, got ${items.length}.`,
      });
    }
  }
  return issues;
}
