import type { SagaDefinition } from './saga-definition';
import { validateSagaDefinition } from './validate-saga-definition';

/** The defaults a definition document gets for what it leaves out (API.md, "Registering definitions"). */
export const DEFINITION_DEFAULTS = {
  timeoutMs: 5000,
  retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 2000 },
  deadlineMs: 3_600_000,
  description: '',
  /** Only for validation: the service numbers an unversioned document latest + 1. */
  version: 1,
} as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy of `doc` with the documented defaults where a field is absent (nothing else changes). */
export function withDefinitionDefaults(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  out.description ??= DEFINITION_DEFAULTS.description;
  out.deadlineMs ??= DEFINITION_DEFAULTS.deadlineMs;
  out.version ??= DEFINITION_DEFAULTS.version;
  if (Array.isArray(doc.steps)) {
    out.steps = doc.steps.map((step: unknown) =>
      isObject(step)
        ? {
            ...step,
            timeoutMs: step.timeoutMs ?? DEFINITION_DEFAULTS.timeoutMs,
            retry: step.retry ?? { ...DEFINITION_DEFAULTS.retry },
          }
        : step,
    );
  }
  return out;
}

/**
 * The definition a JSON document (as POSTed to /api/v1/definitions) describes, defaults filled
 * in and checked by the engine. What only the service can check (built-in participants, hosts)
 * is not checked here.
 *
 * @throws {@link SagaDefinitionError} listing every problem, each with its path and a fix.
 */
export function definitionFromDocument(doc: unknown): SagaDefinition {
  return validateSagaDefinition(isObject(doc) ? withDefinitionDefaults(doc) : doc);
}
