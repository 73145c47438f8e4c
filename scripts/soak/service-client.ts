// HTTP to the soak's API process. The service may be briefly unable to answer (its database
// restarting): requests that can be repeated safely are retried until `patienceMs` runs out.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ApiAnswer {
  status: number;
  // The service's JSON, as the caller knows its shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export class ServiceClient {
  /** Requests answered 5xx or not answered at all, then retried. */
  transientErrors = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly patienceMs = 60_000,
  ) {}

  /**
   * One request, retried on network errors, 5xx and 429. Only for requests that are safe to
   * repeat: GETs, cancel/retry (a repeat answers 409), creates with an Idempotency-Key.
   */
  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer> {
    const until = Date.now() + this.patienceMs;
    let last: string;
    for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
      try {
        const res = await fetch(this.baseUrl + path, {
          method,
          headers: {
            authorization: `Bearer ${this.apiKey}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        if (res.status < 500 && res.status !== 429) {
          return { status: res.status, body: text ? JSON.parse(text) : null };
        }
        last = `${res.status} ${text.slice(0, 300)}`;
      } catch (err) {
        last = String((err as Error).cause ?? err);
      }
      this.transientErrors++;
      if (Date.now() > until)
        throw new Error(
          `${method} ${path}: no answer within ${this.patienceMs} ms (last: ${last})`,
        );
      await sleep(wait);
    }
  }
}
