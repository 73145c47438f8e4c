// Request schemas in the OpenAPI document come from the zod schemas the routes validate with,
// so the docs cannot drift from what the service accepts.
import { z, type ZodType } from 'zod';

/** An OpenAPI 3.1 schema object (JSON Schema 2020-12). */
export type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as the JSON Schema of what a client sends (`io: 'input'`: a query value that
 * zod turns into a number is documented as the string a client writes).
 */
export function zodToJsonSchema(schema: ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/** The query parameters of a zod object schema, with a description for each. */
export function zodQueryParameters(
  schema: ZodType,
  descriptions: Record<string, string> = {},
): JsonSchema[] {
  const json = zodToJsonSchema(schema) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: (json.required ?? []).includes(name),
    ...(descriptions[name] ? { description: descriptions[name] } : {}),
    schema: property,
  }));
}
