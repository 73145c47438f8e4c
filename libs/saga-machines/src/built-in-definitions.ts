import type { z } from 'zod';
import { orderDefinition, orderInputSchema } from './order-definition';
import type { SagaDefinition } from './saga-definition';

/** The definitions the service ships with, every version, in the order the API lists them. */
export const builtInDefinitions: SagaDefinition[] = [orderDefinition];

/** Input schema of each definition, by definition name (all versions of a name share it). */
export const definitionInputSchemas: Readonly<Record<string, z.ZodType>> = {
  order: orderInputSchema,
};
