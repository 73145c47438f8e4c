// The insurance service of the travel example: a sagachart HTTP participant written with
// node:http only. `POST /insure` sells the trip's travel insurance once the tickets are
// issued; it has no compensation, because it runs after the saga's pivot, where the saga only
// goes forward (retried, and if it still fails, a person fixes the cause and retries the saga).
// `GET /policies` shows what the service holds.
//
//   npx tsx examples/travel/insurance-service.ts
//     INSURANCE_PORT, TRAVEL_DATA_DIR, TRAVEL_SIGNING_SECRET,
//     INSURANCE_UNAVAILABLE ("Reykjavik": destinations the insurer cannot quote right now)
import path from 'node:path';
import { defaultDataDir, runFromCli } from './lib/cli';
import { JsonFileStore } from './lib/json-file-store';
import {
  HttpError,
  startParticipantServer,
  type IdempotentState,
  type Operation,
  type RunningService,
} from './lib/participant-http';
import { cityKey, intFromEnv, isAnswer, newId, readTrip } from './lib/trip';

export interface InsuranceServiceOptions {
  /** 0: any free port (see the returned `url`). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where `insurance.json` (this service's whole state) lives. */
  dataDir: string;
  /** Require `X-Saga-Signature` made with this secret (sagachart's SAGA_SIGNING_SECRET). */
  signingSecret?: string;
  /**
   * Destinations whose quotes are down (case-insensitive): `/insure` answers `503`, which the
   * saga retries and, once its attempts are used up, ends `FAILED`. Default `['Reykjavik']`.
   */
  unavailable?: string[];
  /** Premium per traveller per night; default 45000 (450.00). */
  premiumCentsPerNight?: number;
  log?: (line: string) => void;
}

/** The output of `POST /insure`: what the saga keeps as the step's output. */
export interface PolicyOutput {
  policyId: string;
  destination: string;
  travellers: string[];
  nights: number;
  premiumCents: number;
}

export interface Policy extends PolicyOutput {
  customerId: string | null;
  sagaId: string | null;
  idempotencyKey: string;
  issuedAt: string;
}

interface InsuranceState extends IdempotentState {
  policies: Record<string, Policy>;
}

export async function startInsuranceService(
  options: InsuranceServiceOptions,
): Promise<RunningService> {
  const down = new Set((options.unavailable ?? ['Reykjavik']).map(cityKey));
  const premium = options.premiumCentsPerNight ?? 45_000;
  const store = await JsonFileStore.open<InsuranceState>(
    path.join(options.dataDir, 'insurance.json'),
    () => ({ policies: {}, answers: {} }),
  );

  const insure: Operation<InsuranceState> = {
    run(call) {
      const trip = readTrip(call.body, { nights: true });
      if (isAnswer(trip)) return trip;
      if (down.has(cityKey(trip.destination))) {
        // Thrown, not returned: a 503 is not a final answer, so it is not stored under the
        // key, and the same key asks afresh once the quotes are back.
        throw new HttpError(
          503,
          'QUOTES_UNAVAILABLE',
          `The insurer cannot quote trips to ${trip.destination} right now; try again later.`,
        );
      }
      const policy: Policy = {
        policyId: newId('PL', call.state.policies),
        destination: trip.destination,
        travellers: trip.passengers,
        nights: trip.nights,
        premiumCents: premium * trip.passengers.length * trip.nights,
        customerId: trip.customerId,
        sagaId: typeof call.body.sagaId === 'string' ? call.body.sagaId : null,
        idempotencyKey: call.key,
        issuedAt: call.now.toISOString(),
      };
      call.state.policies[policy.policyId] = policy;
      const { policyId, destination, travellers, nights, premiumCents } = policy;
      const output: PolicyOutput = { policyId, destination, travellers, nights, premiumCents };
      return { status: 201, body: output };
    },
  };

  return startParticipantServer<InsuranceState>({
    name: 'insurance',
    port: options.port,
    host: options.host,
    store,
    signingSecret: options.signingSecret,
    log: options.log,
    operations: { insure },
    views: {
      '/policies': (query, state) => {
        const sagaId = query.get('sagaId');
        const policies = Object.values(state.policies)
          .filter((p) => !sagaId || p.sagaId === sagaId)
          .sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
        return { service: 'insurance', policies, unavailable: [...down] };
      },
    },
  });
}

/** `INSURANCE_UNAVAILABLE`: unset, Reykjavik; empty, none; else comma-separated cities. */
export function unavailableFromEnv(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((city) => city.trim())
    .filter((city) => city !== '');
}

/** The settings of the command line, from the environment. */
export function insuranceOptionsFromEnv(dataDir: string): InsuranceServiceOptions {
  return {
    port: intFromEnv('INSURANCE_PORT', 4003, 0, 65535),
    host: process.env.TRAVEL_HOST || '127.0.0.1',
    dataDir,
    signingSecret: process.env.TRAVEL_SIGNING_SECRET || undefined,
    unavailable: unavailableFromEnv(process.env.INSURANCE_UNAVAILABLE),
    premiumCentsPerNight: intFromEnv('INSURANCE_PREMIUM_CENTS', 45_000),
    log: (line) => console.log(line),
  };
}

if (require.main === module) {
  runFromCli(async () => ({
    insurance: await startInsuranceService(insuranceOptionsFromEnv(defaultDataDir())),
  }));
}
