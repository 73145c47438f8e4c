// A registered definition's `inputSchema` is JSON Schema (draft 2020-12), checked by ajv: the
// schema itself when the definition is registered, every saga's input when one is created.
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ErrorDetail } from '../errors/saga-exception';

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

function newAjv(): Ajv2020 {
  // strictSchema: an unknown keyword is a typo the author wants to hear about, not ignore.
  // The other strict checks reject legal schemas people really write, so they stay off.
  const ajv = new Ajv2020({
    allErrors: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    // No remote $ref: compiling a schema must never make the service fetch a URL.
    loadSchema: undefined,
  });
  addFormats(ajv);
  return ajv;
}

/** The compiled validator of a definition's input, or the reason its schema is not one. */
export type CompiledInputSchema =
  { ok: true; validate: (input: unknown) => ErrorDetail[] } | { ok: false; message: string };

/** Turns ajv's errors into `details` whose paths start at `input`. */
function details(errors: ErrorObject[] | null | undefined): ErrorDetail[] {
  return (errors ?? []).map((e) => {
    const segments = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required') segments.push(String(e.params.missingProperty));
    if (e.keyword === 'additionalProperties') segments.push(String(e.params.additionalProperty));
    return { path: ['input', ...segments].join('.'), message: e.message ?? 'is invalid' };
  });
}

/** Compiles `schema` (draft 2020-12; `$schema`, when given, must say so). */
export function compileInputSchema(schema: Record<string, unknown>): CompiledInputSchema {
  const declared = schema.$schema;
  if (declared !== undefined && declared !== DRAFT_2020_12 && declared !== `${DRAFT_2020_12}#`) {
    return {
      ok: false,
      message: `$schema is ${JSON.stringify(declared)}; only draft 2020-12 is supported: remove $schema or set it to "${DRAFT_2020_12}".`,
    };
  }
  let fn: ValidateFunction;
  try {
    fn = newAjv().compile(schema);
  } catch (err) {
    return {
      ok: false,
      message: `Not a valid JSON Schema (draft 2020-12): ${(err as Error).message}. Fix the schema or remove inputSchema.`,
    };
  }
  return { ok: true, validate: (input) => (fn(input) ? [] : details(fn.errors)) };
}
