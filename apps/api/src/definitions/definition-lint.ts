// Checks a definition document sent to POST /api/v1/definitions and fills in its defaults.
// The engine's own schema (validateSagaDefinition) checks the shape; this adds what only the
// service knows: which participants are built in and what they can do, where HTTP
// participants may live, whether the input schema compiles. Every message says the fix.
import {
  SagaDefinitionError,
  validateSagaDefinition,
  withDefinitionDefaults,
  type SagaDefinition,
} from '@app/saga-machines';
import { SagaException, type ErrorDetail } from '../errors/saga-exception';
import {
  describeParticipantHosts,
  isLoopbackHost,
  isParticipantUrlAllowed,
  type ParticipantHostPolicy,
} from '../participants/participant-hosts';
import { compileInputSchema } from './input-schema-validator';

/** Defaults of API.md, "Registering definitions" (defined by the engine). */
export { DEFINITION_DEFAULTS } from '@app/saga-machines';

/** Operation names become the last path segment of `POST <url>/<operation>`. */
const OPERATION_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export interface LintContext {
  /** Built-in participants and their operations. */
  builtInParticipants: ReadonlyMap<string, readonly string[]>;
  hosts: ParticipantHostPolicy;
  signing: boolean;
  /** The base URL participants are given for callbacks (for a reachability warning). */
  callbackBase: string;
}

export interface LintResult {
  /** Normalised: defaults filled in. `version` is 0 when the document left it out. */
  definition: SagaDefinition;
  /** Whether the document gave a version (else the registry picks latest + 1). */
  versionGiven: boolean;
  warnings: ErrorDetail[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(message: string, details: ErrorDetail[]): never {
  throw new SagaException('INVALID_REQUEST', message, details);
}

function stepLabel(d: SagaDefinition, i: number): string {
  return `step '${d.steps[i].name}'`;
}

/** Problems that make the definition unusable here. */
function serviceErrors(d: SagaDefinition, ctx: LintContext): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const http = d.participants ?? {};
  const builtInNames = [...ctx.builtInParticipants.keys()].join(', ');
  for (const [name, p] of Object.entries(http)) {
    if (ctx.builtInParticipants.has(name)) {
      errors.push({
        path: `participants.${name}`,
        message: `'${name}' is a built-in participant: give your HTTP participant another name, or drop this entry to use the built-in one.`,
      });
    }
    if (!isParticipantUrlAllowed(p.url, ctx.hosts)) {
      errors.push({
        path: `participants.${name}.url`,
        message: `host '${new URL(p.url).host}' is not allowed (${describeParticipantHosts(ctx.hosts)}): add it to SAGA_PARTICIPANT_HOSTS on the service, or point the participant at an allowed host.`,
      });
    }
  }
  d.steps.forEach((step, i) => {
    const label = stepLabel(d, i);
    for (const [field, op] of [
      ['action', step.action],
      ['compensation', step.compensation],
    ] as const) {
      if (op === undefined) continue;
      const path = `steps.${i}.${field}`;
      if (Object.hasOwn(http, step.participant)) {
        if (!OPERATION_PATTERN.test(op)) {
          errors.push({
            path,
            message: `${label}: '${op}' cannot be a URL path segment: use letters, digits, _ or -, starting with a letter.`,
          });
        }
      } else if (ctx.builtInParticipants.has(step.participant)) {
        const ops = ctx.builtInParticipants.get(step.participant)!;
        if (!ops.includes(op)) {
          errors.push({
            path,
            message: `${label}: the built-in participant '${step.participant}' has no operation '${op}'; it has ${ops.join(', ')}.`,
          });
        }
      }
    }
    if (!Object.hasOwn(http, step.participant) && !ctx.builtInParticipants.has(step.participant)) {
      errors.push({
        path: `steps.${i}.participant`,
        message: `${label} uses participant '${step.participant}', which is neither in \`participants\` nor built in (${builtInNames}): add "participants": { "${step.participant}": { "url": "http://…" } }, or name a built-in participant.`,
      });
    }
    if (step.action === step.compensation) {
      errors.push({
        path: `steps.${i}.compensation`,
        message: `${label}: the compensation is the action itself ('${step.action}'): name the operation that undoes it.`,
      });
    }
    for (const [flag, on] of [
      ['async', step.async],
      ['compensationAsync', step.compensationAsync],
    ] as const) {
      if (on && !Object.hasOwn(http, step.participant)) {
        errors.push({
          path: `steps.${i}.${flag}`,
          message: `${label}: only HTTP participants can call back; built-in '${step.participant}' answers at once: remove ${flag}.`,
        });
      }
    }
  });
  if (d.inputSchema !== undefined) {
    const compiled = compileInputSchema(d.inputSchema);
    if (!compiled.ok) errors.push({ path: 'inputSchema', message: compiled.message });
  }
  return errors;
}

/** Worst case of one step: every attempt times out, with the longest backoffs between. */
function worstCaseMs(step: SagaDefinition['steps'][number]): number {
  let total = step.timeoutMs * step.retry.maxAttempts;
  for (let a = 1; a < step.retry.maxAttempts; a++)
    total += Math.min(step.retry.maxBackoffMs, step.retry.backoffMs * 2 ** (a - 1));
  return total;
}

/** Things that work but probably not as the author meant. */
function warningsFor(d: SagaDefinition, ctx: LintContext): ErrorDetail[] {
  const warnings: ErrorDetail[] = [];
  const http = d.participants ?? {};
  const used = new Set(d.steps.map((s) => s.participant));
  for (const [name, p] of Object.entries(http)) {
    const u = new URL(p.url);
    if (!used.has(name)) {
      warnings.push({
        path: `participants.${name}`,
        message: `no step uses participant '${name}': remove it, or name it in a step.`,
      });
    }
    if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
      warnings.push({
        path: `participants.${name}.url`,
        message: `calls to ${u.host} travel unencrypted: use https:// outside loopback.`,
      });
    }
  }
  if (Object.keys(http).length > 0 && !ctx.signing) {
    warnings.push({
      path: 'participants',
      message:
        'requests to HTTP participants are unsigned: set SAGA_SIGNING_SECRET on the service so participants can check X-Saga-Signature.',
    });
  }
  const hasAsync = d.steps.some((s) => s.async || s.compensationAsync);
  const callbackHost = new URL(ctx.callbackBase).hostname;
  if (hasAsync && isLoopbackHost(callbackHost)) {
    const remote = Object.entries(http).filter(([, p]) => !isLoopbackHost(new URL(p.url).hostname));
    if (remote.length > 0) {
      warnings.push({
        path: 'steps',
        message: `async steps call back to ${ctx.callbackBase}, which ${remote.map(([n]) => `'${n}'`).join(', ')} on another host cannot reach: set SAGA_PUBLIC_URL to an address they can.`,
      });
    }
  }
  const worst = d.steps.reduce((sum, s) => sum + worstCaseMs(s), 0);
  if (worst > d.deadlineMs) {
    warnings.push({
      path: 'deadlineMs',
      message: `the steps may take up to ${worst} ms with every attempt timing out, longer than deadlineMs ${d.deadlineMs}: the deadline would cancel a saga that is still retrying. Raise deadlineMs or lower timeouts/retries.`,
    });
  }
  d.steps.forEach((step, i) => {
    const policy = step.compensationRetry ?? step.retry;
    if (step.compensation !== undefined && policy.maxAttempts === 1) {
      warnings.push({
        path: `steps.${i}.${step.compensationRetry ? 'compensationRetry' : 'retry'}.maxAttempts`,
        message: `${stepLabel(d, i)}: its compensation gets one attempt, so one glitch leaves the saga FAILED for a person: give compensationRetry more attempts.`,
      });
    }
  });
  return warnings;
}

/**
 * Validates a definition document and fills in its defaults.
 *
 * @throws SagaException INVALID_REQUEST (400) with every problem in `details`.
 */
export function lintDefinitionDocument(body: unknown, ctx: LintContext): LintResult {
  if (!isObject(body)) {
    invalid('A definition document is a JSON object.', [
      { path: '', message: 'must be an object: { "name", "steps": [ … ] }' },
    ]);
  }
  const versionGiven = body.version !== undefined;
  let definition: SagaDefinition;
  try {
    definition = validateSagaDefinition(withDefinitionDefaults(body));
  } catch (err) {
    if (!(err instanceof SagaDefinitionError)) throw err;
    const issues = err.issues;
    invalid(
      `Invalid definition: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  if (versionGiven === false) definition = { ...definition, version: 0 };
  const errors = serviceErrors(definition, ctx);
  if (errors.length) {
    invalid(
      `Invalid definition: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors,
    );
  }
  return { definition, versionGiven, warnings: warningsFor(definition, ctx) };
}
