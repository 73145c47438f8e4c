// The saga definitions this service runs: the built-in ones, and the ones registered over
// REST (stored in PostgreSQL). A definition's content never changes once registered (a new
// content is a new version), so each version is cached forever once read; only whether a
// version is retired is read afresh, when a saga would start on it.
import { Inject, Injectable } from '@nestjs/common';
import {
  builtInDefinitions,
  definitionInputSchemas,
  validateSagaDefinition,
  type SagaDefinition,
} from '@app/saga-machines';
import type { ZodType } from 'zod';
import { canonicalHash } from '../common/canonical-json';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { lintDefinitionDocument } from '../definitions/definition-lint';
import { DefinitionStore, type StoredDefinition } from '../definitions/definition-store';
import { compileInputSchema } from '../definitions/input-schema-validator';
import { SagaException, type ErrorDetail } from '../errors/saga-exception';
import { parseRequest } from '../http/zod-request';
import { ParticipantRegistry } from '../participants/participant-registry';
import { CallbackUrls } from '../callbacks/callback-urls';

export type DefinitionSource = 'built-in' | 'registered';

/** A definition with what the API says about it and how its input is checked. */
export interface DefinitionEntry {
  definition: SagaDefinition;
  source: DefinitionSource;
  registeredAt: Date | null;
  retiredAt: Date | null;
  /** The saga input, checked (400 with `details` naming `input.…` when it is not valid). */
  parseInput(input: unknown): unknown;
}

export interface RegisterOutcome {
  created: boolean;
  entry: DefinitionEntry;
  warnings: ErrorDetail[];
  /** Sagas not final, per older version. */
  inFlight: Record<string, number>;
}

const key = (name: string, version: number) => `${name}@${version}`;

function notFound(name: string, version?: number): SagaException {
  return new SagaException(
    'DEFINITION_NOT_FOUND',
    version === undefined
      ? `No saga definition named '${name}'.`
      : `No saga definition '${name}' version ${version}.`,
  );
}

@Injectable()
export class DefinitionRegistry {
  private readonly builtIn = new Map<string, DefinitionEntry>();
  private readonly registered = new Map<string, DefinitionEntry>();

  constructor(
    private readonly store: DefinitionStore,
    private readonly participants: ParticipantRegistry,
    private readonly callbackUrls: CallbackUrls,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Validated at boot: a broken built-in definition must stop the service, not a saga.
    for (const d of builtInDefinitions) {
      const definition = validateSagaDefinition(d);
      const schema = (definitionInputSchemas as Record<string, ZodType | undefined>)[d.name];
      this.builtIn.set(key(d.name, d.version), {
        definition,
        source: 'built-in',
        registeredAt: null,
        retiredAt: null,
        parseInput: (input) =>
          schema ? parseRequest(schema, input, 'input', 'saga input') : input,
      });
    }
  }

  isBuiltInName(name: string): boolean {
    return [...this.builtIn.values()].some((e) => e.definition.name === name);
  }

  /** Every definition, built-in first, then registered ones by name and version. */
  async list(): Promise<DefinitionEntry[]> {
    const stored = await this.store.list();
    const sortKey = (e: DefinitionEntry) => [e.definition.name, e.definition.version] as const;
    const builtIn = [...this.builtIn.values()].sort(
      (a, b) => sortKey(a)[0].localeCompare(sortKey(b)[0]) || sortKey(a)[1] - sortKey(b)[1],
    );
    return [...builtIn, ...stored.map((s) => this.remember(s))];
  }

  /** For GET: the version asked for, or the latest (a retired one only if all are). */
  async find(name: string, version?: number): Promise<DefinitionEntry> {
    if (this.isBuiltInName(name)) return this.builtInEntry(name, version);
    const stored =
      version === undefined
        ? await this.store.latest(name, { activeOnly: false })
        : await this.store.find(name, version);
    if (!stored) throw notFound(name, version);
    return this.remember(stored);
  }

  /** For a new saga: like find, but a retired version is refused (409) and latest skips them. */
  async forNewSaga(name: string, version?: number): Promise<DefinitionEntry> {
    if (this.isBuiltInName(name)) return this.builtInEntry(name, version);
    const stored =
      version === undefined
        ? await this.store.latest(name, { activeOnly: true })
        : await this.store.find(name, version);
    if (!stored) {
      if (version === undefined && (await this.store.maxVersion(name)) > 0) {
        throw new SagaException(
          'STATE_CONFLICT',
          `Every version of '${name}' is retired: register a new version to start sagas.`,
        );
      }
      throw notFound(name, version);
    }
    if (stored.retiredAt) {
      throw new SagaException(
        'STATE_CONFLICT',
        `Version ${version} of '${name}' was retired at ${stored.retiredAt.toISOString()}: start the saga on a current version.`,
      );
    }
    return this.remember(stored);
  }

  /**
   * The definition a saga runs on. Sagas keep their version until final, so this reads it from
   * the database when this process has not seen it (registered through another process).
   */
  async forSaga(name: string, version: number): Promise<SagaDefinition> {
    const cached = this.builtIn.get(key(name, version)) ?? this.registered.get(key(name, version));
    if (cached) return cached.definition;
    const stored = await this.store.find(name, version);
    if (!stored) throw notFound(name, version);
    return this.remember(stored).definition;
  }

  /** Lints and stores a definition document (POST /api/v1/definitions). */
  async register(body: unknown): Promise<RegisterOutcome> {
    const name = (body as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && this.isBuiltInName(name)) {
      throw new SagaException(
        'STATE_CONFLICT',
        `'${name}' is a built-in definition: register yours under another name.`,
      );
    }
    const lint = lintDefinitionDocument(body, {
      builtInParticipants: this.participants.catalogue(),
      hosts: this.config.participantHosts,
      signing: this.config.signingSecret !== undefined,
      callbackBase: this.callbackUrls.base(),
    });
    const contentHash = canonicalHash({ ...lint.definition, version: undefined });
    for (let round = 0; round < 5; round++) {
      let definition = lint.definition;
      if (!lint.versionGiven) {
        const latest = await this.store.latest(definition.name, { activeOnly: false });
        // The same document again without a version: that version, not a new one.
        if (latest && latest.contentHash === contentHash && !latest.retiredAt) {
          return this.outcome(false, this.remember(latest), lint.warnings);
        }
        definition = {
          ...definition,
          version: (latest ? await this.store.maxVersion(definition.name) : 0) + 1,
        };
      }
      if (await this.store.insert(definition, contentHash)) {
        const stored = await this.store.find(definition.name, definition.version);
        return this.outcome(true, this.remember(stored!), lint.warnings);
      }
      const existing = await this.store.find(definition.name, definition.version);
      if (!existing) continue;
      if (existing.contentHash === contentHash) {
        return this.outcome(false, this.remember(existing), lint.warnings);
      }
      if (lint.versionGiven) {
        throw new SagaException(
          'STATE_CONFLICT',
          `'${definition.name}' version ${definition.version} exists with other content: a registered version never changes; register it as version ${(await this.store.maxVersion(definition.name)) + 1} (or leave out "version").`,
        );
      }
      // Lost a race for latest + 1 with another registration: pick the next number.
    }
    throw new Error(`could not allocate a version of '${lint.definition.name}' after 5 rounds`);
  }

  /** DELETE /api/v1/definitions/:name?version=N. */
  async retire(name: string, version: number): Promise<DefinitionEntry> {
    if (this.isBuiltInName(name)) {
      throw new SagaException('STATE_CONFLICT', `'${name}' is built in and cannot be retired.`);
    }
    const stored = await this.store.find(name, version);
    if (!stored) throw notFound(name, version);
    const outcome = await this.store.retire(name, version);
    if (!outcome.retired) {
      throw new SagaException(
        'STATE_CONFLICT',
        `${outcome.running} saga(s) on '${name}' version ${version} are not final yet: retire it once they have finished (or cancel them).`,
        [{ path: 'version', message: `${outcome.running} sagas not final` }],
      );
    }
    return this.remember({ ...stored, retiredAt: outcome.at });
  }

  private async outcome(
    created: boolean,
    entry: DefinitionEntry,
    warnings: ErrorDetail[],
  ): Promise<RegisterOutcome> {
    const { name, version } = entry.definition;
    return { created, entry, warnings, inFlight: await this.store.inFlightBelow(name, version) };
  }

  private builtInEntry(name: string, version?: number): DefinitionEntry {
    const versions = [...this.builtIn.values()].filter((e) => e.definition.name === name);
    const entry =
      version === undefined
        ? versions.sort((a, b) => a.definition.version - b.definition.version).pop()
        : versions.find((e) => e.definition.version === version);
    if (!entry) throw notFound(name, version);
    return entry;
  }

  /** The cached entry of a stored version (its retirement refreshed from `stored`). */
  private remember(stored: StoredDefinition): DefinitionEntry {
    const k = key(stored.definition.name, stored.definition.version);
    const cached = this.registered.get(k);
    if (cached) {
      cached.retiredAt = stored.retiredAt;
      return cached;
    }
    // Stored documents were linted when registered; validating again keeps the machine safe
    // from a row edited by hand.
    const definition = validateSagaDefinition(stored.definition);
    const compiled = definition.inputSchema ? compileInputSchema(definition.inputSchema) : null;
    const entry: DefinitionEntry = {
      definition,
      source: 'registered',
      registeredAt: stored.registeredAt,
      retiredAt: stored.retiredAt,
      parseInput: (input) => {
        if (!compiled) return input;
        if (!compiled.ok)
          throw new Error(`stored inputSchema of ${k} does not compile: ${compiled.message}`);
        const details = compiled.validate(input);
        if (details.length) {
          throw new SagaException(
            'INVALID_REQUEST',
            `Invalid saga input: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
            details,
          );
        }
        return input;
      },
    };
    this.registered.set(k, entry);
    return entry;
  }
}
