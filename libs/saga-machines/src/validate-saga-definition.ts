import type { SagaDefinition } from './saga-definition';
import { SagaDefinitionError, type SagaDefinitionIssue } from './saga-definition-error';
import { MAX_DURATION_MS, sagaDefinitionSchema } from './saga-definition-schema';

// How to fix a problem depends on the field, not on what zod found wrong with it, so the hint
// is chosen by the last path segment and appended to zod's (already specific) message.
const HINTS: Record<string, string> = {
  steps:
    'A saga runs its steps in order (or as their dependsOn say); list them as [{ name, participant, action, compensation, timeoutMs, retry }].',
  name: 'Step names become statechart states: use unique snake_case names such as reserve_inventory.',
  participant: 'Name the participant service that runs the action, e.g. payment.',
  action: 'Name the participant action the step runs, e.g. charge.',
  compensation: 'Name the participant operation that undoes its action, e.g. refund.',
  timeoutMs: `Give each attempt a timeout in whole milliseconds, at most ${MAX_DURATION_MS}.`,
  maxAttempts: 'Use a whole number from 1 to 20 (attempts in all, the first included).',
  backoffMs: 'Use whole milliseconds from 0 up to maxBackoffMs.',
  maxBackoffMs: `Use whole milliseconds, at least backoffMs and at most ${MAX_DURATION_MS}.`,
  version: 'Versions are positive whole numbers (1, 2, …).',
  deadlineMs: 'Give the whole saga a deadline in positive whole milliseconds.',
  description: 'Say in a sentence what the saga does.',
  participants:
    'List the HTTP participants by name: { "flight": { "url": "http://127.0.0.1:4001" } }.',
  url: 'Give the base URL of the participant service; each call is POST <url>/<operation>.',
  inputSchema: 'Give a JSON Schema (draft 2020-12) object for the saga input.',
  async: 'Use true when the participant answers 2xx at once and calls back with the outcome.',
  compensationAsync: 'Use true when the compensation answers 2xx at once and calls back.',
};

function hintFor(path: PropertyKey[], code: string): string {
  // The step-graph rules write their own fix into the message.
  if (code === 'custom') return '';
  if (code === 'unrecognized_keys') {
    return 'Remove it or check its spelling: definitions accept only known fields.';
  }
  const key = [...path].reverse().find((part) => typeof part === 'string');
  if (path.length === 1 && key === 'name') return 'Name the definition, e.g. order.';
  return key !== undefined ? (HINTS[key] ?? '') : '';
}

/**
 * Checks that `value` is a well-formed saga definition and returns it typed.
 *
 * @throws {@link SagaDefinitionError} listing every problem, each with its path and a fix.
 */
export function validateSagaDefinition(value: unknown): SagaDefinition {
  const result = sagaDefinitionSchema.safeParse(value);
  if (result.success) return result.data;
  const issues: SagaDefinitionIssue[] = result.error.issues.map((issue) => {
    const hint = hintFor(issue.path, issue.code);
    const keys =
      issue.code === 'unrecognized_keys' ? ` (${issue.keys.map((k) => `'${k}'`).join(', ')})` : '';
    return {
      path: issue.path.map(String).join('.'),
      message: `${issue.message}${keys}${hint ? ` ${hint}` : ''}`,
    };
  });
  const name =
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string'
      ? (value as { name: string }).name
      : undefined;
  throw new SagaDefinitionError(issues, name);
}
