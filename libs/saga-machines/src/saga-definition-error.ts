/** One problem found in a saga definition: where (a dotted path) and what to do about it. */
export interface SagaDefinitionIssue {
  /** Dotted path into the definition, e.g. `steps.2.compensation`; empty for the whole object. */
  path: string;
  message: string;
}

/**
 * Thrown by {@link validateSagaDefinition} (and so by `createSagaMachine`) for a definition that
 * cannot become a safe saga. `message` lists every issue; `issues` is the structured form.
 */
export class SagaDefinitionError extends Error {
  override readonly name = 'SagaDefinitionError';

  constructor(
    readonly issues: SagaDefinitionIssue[],
    definitionName?: string,
  ) {
    const label = definitionName ? `Saga definition '${definitionName}'` : 'Saga definition';
    super(
      `${label} is invalid:\n` +
        issues.map((issue) => `  ${issue.path || '(root)'}: ${issue.message}`).join('\n'),
    );
  }
}
