import { z } from 'zod';
import { stepGraphIssues } from './step-graph-issues';

/** Longest timeout, backoff or deadline a definition may ask for: one hour. */
export const MAX_DURATION_MS = 60 * 60 * 1000;
/** More steps than this is a design smell and makes the statechart unreadable. */
export const MAX_STEPS = 50;
/** A state name the machine uses itself, so no step may take it. */
export const RESERVED_STEP_NAMES: readonly string[] = ['awaiting_in_flight_step'];
/** A `forEach` pointer: RFC 6901, non-empty (the input itself is not a list of items). */
export const JSON_POINTER_PATTERN = /^(\/([^~/]|~[01])*)+$/;
/** Most items a `forEach` step runs over. */
export const MAX_ITEMS = 1000;

/** Step names become statechart state names, history entries and job ids: keep them plain. */
export const STEP_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
/** Definition names appear in URLs, job data and the visualizer. */
export const DEFINITION_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

// zod's own "expected string, received undefined" does not tell a definition author that the
// field is simply missing, so every field says "Required" in that case.
function requiredString(what: string) {
  return z
    .string({
      error: (issue) => (issue.input === undefined ? 'Required.' : `Must be a string (${what}).`),
    })
    .min(1, { error: `Must not be empty (${what}).` });
}

function durationMs(what: string, max = MAX_DURATION_MS) {
  return z
    .number({
      error: (issue) => (issue.input === undefined ? 'Required.' : `Must be a number (${what}).`),
    })
    .int({ error: `Must be a whole number of milliseconds (${what}).` })
    .positive({ error: `Must be greater than 0 (${what}).` })
    .max(max, { error: `Must be at most ${max} ms (${what}).` });
}

/** Schema of a retry policy: attempts 1–20, backoff within [0, maxBackoffMs], both ≤ 1 hour. */
export const retryPolicySchema = z
  .object({
    maxAttempts: z
      .number({ error: (i) => (i.input === undefined ? 'Required.' : 'Must be a number.') })
      .int({ error: 'Must be a whole number of attempts.' })
      .min(1, { error: 'Must be at least 1 (1 = no retry).' })
      .max(20, { error: 'Must be at most 20.' }),
    backoffMs: z
      .number({ error: (i) => (i.input === undefined ? 'Required.' : 'Must be a number.') })
      .int({ error: 'Must be a whole number of milliseconds.' })
      .min(0, { error: 'Must not be negative.' })
      .max(MAX_DURATION_MS, { error: `Must be at most ${MAX_DURATION_MS} ms.` }),
    maxBackoffMs: z
      .number({ error: (i) => (i.input === undefined ? 'Required.' : 'Must be a number.') })
      .int({ error: 'Must be a whole number of milliseconds.' })
      .min(0, { error: 'Must not be negative.' })
      .max(MAX_DURATION_MS, { error: `Must be at most ${MAX_DURATION_MS} ms.` }),
  })
  .strict()
  .refine((retry) => retry.backoffMs <= retry.maxBackoffMs, {
    path: ['backoffMs'],
    error: 'Must not exceed maxBackoffMs.',
  });

/** Schema of one step; see {@link SagaStepDefinition}. */
export const sagaStepDefinitionSchema = z
  .object({
    name: requiredString('the step name')
      .regex(STEP_NAME_PATTERN, {
        error: 'Must be snake_case: a lowercase letter, then lowercase letters, digits or _.',
      })
      .refine((name) => !RESERVED_STEP_NAMES.includes(name), {
        error: 'Is reserved by the saga machine.',
      }),
    participant: requiredString('the participant service'),
    action: requiredString('the participant action'),
    compensation: requiredString('the compensation').optional(),
    timeoutMs: durationMs('timeout per attempt'),
    retry: retryPolicySchema,
    compensationRetry: retryPolicySchema.optional(),
    async: z.boolean({ error: 'Must be true or false.' }).optional(),
    compensationAsync: z.boolean({ error: 'Must be true or false.' }).optional(),
    dependsOn: z
      .array(requiredString('a step name'), { error: 'Must be an array of step names.' })
      .max(MAX_STEPS, { error: `Has more than ${MAX_STEPS} entries.` })
      .optional(),
    forEach: z
      .string({ error: 'Must be a JSON Pointer string such as /passengers.' })
      .regex(JSON_POINTER_PATTERN, {
        error: 'Must be a JSON Pointer into the input, such as /passengers.',
      })
      .optional(),
    concurrency: z
      .number({ error: 'Must be a number.' })
      .int({ error: 'Must be a whole number.' })
      .min(1, { error: 'Must be at least 1.' })
      .max(MAX_ITEMS, { error: `Must be at most ${MAX_ITEMS}.` })
      .optional(),
    pivot: z.boolean({ error: 'Must be true or false.' }).optional(),
  })
  .strict()
  .superRefine((step, ctx) => {
    if (step.concurrency !== undefined && step.forEach === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['concurrency'],
        message: `Step '${step.name}' has concurrency but no forEach: concurrency only bounds the items of a forEach step.`,
      });
    }
  });

/** Names of participants and operations: they become URL path segments and job data. */
export const PARTICIPANT_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** Schema of an HTTP participant: an absolute http(s) URL without query, fragment or credentials. */
export const httpParticipantSchema = z
  .object({
    url: z
      .string({ error: (i) => (i.input === undefined ? 'Required.' : 'Must be a string (a URL).') })
      .max(2000, { error: 'Must be at most 2000 characters.' })
      .refine(
        (url) => {
          if (!URL.canParse(url)) return false;
          const u = new URL(url);
          return (
            (u.protocol === 'http:' || u.protocol === 'https:') &&
            !u.username &&
            !u.password &&
            !u.search &&
            !u.hash
          );
        },
        {
          error:
            'Must be an absolute http:// or https:// URL without credentials, query or fragment.',
        },
      ),
  })
  .strict();

/**
 * Schema of a saga definition (strict: unknown fields are errors, so a typo never silently
 * drops a setting). Prefer {@link validateSagaDefinition}, whose errors say how to fix them.
 */
export const sagaDefinitionSchema = z
  .object({
    name: requiredString('the definition name').regex(DEFINITION_NAME_PATTERN, {
      error:
        'Must match ^[a-z][a-z0-9_-]{0,62}$: a lowercase letter, then lowercase letters, digits, _ or -.',
    }),
    version: z
      .number({ error: (i) => (i.input === undefined ? 'Required.' : 'Must be a number.') })
      .int({ error: 'Must be a whole number.' })
      .positive({ error: 'Must be greater than 0.' }),
    description: z.string({
      error: (i) => (i.input === undefined ? 'Required.' : 'Must be a string.'),
    }),
    deadlineMs: z
      .number({ error: (i) => (i.input === undefined ? 'Required.' : 'Must be a number.') })
      .int({ error: 'Must be a whole number of milliseconds.' })
      .positive({ error: 'Must be greater than 0.' }),
    steps: z
      .array(sagaStepDefinitionSchema, {
        error: (i) => (i.input === undefined ? 'Required.' : 'Must be an array of steps.'),
      })
      .min(1, { error: 'Needs at least one step.' })
      .max(MAX_STEPS, { error: `Has more than ${MAX_STEPS} steps.` })
      .superRefine((steps, ctx) => {
        const seen = new Map<string, number>();
        steps.forEach((step, index) => {
          const first = seen.get(step.name);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `Duplicates the name of steps.${first} ('${step.name}').`,
            });
          } else {
            seen.set(step.name, index);
          }
        });
      }),
    participants: z
      .record(
        z.string().regex(PARTICIPANT_NAME_PATTERN, {
          error:
            'Participant names must be lowercase letters, digits, _ or -, starting with a letter.',
        }),
        httpParticipantSchema,
        { error: 'Must be an object of participants by name: { "flight": { "url": "…" } }.' },
      )
      .optional(),
    inputSchema: z
      .record(z.string(), z.unknown(), { error: 'Must be a JSON Schema object.' })
      .optional(),
  })
  .strict()
  .superRefine((definition, ctx) => {
    for (const issue of stepGraphIssues(definition.steps)) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
  });
