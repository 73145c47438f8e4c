// Helpers for the lifecycle suites: an API client for a service process, and the checks that a
// saga ended and that each participant acted exactly once for it.
import type { ServiceProcess } from '../support/service-process';

export type Json = Record<string, unknown>;

export const PARTICIPANTS = ['order', 'inventory', 'payment', 'shipping', 'notification'] as const;
export const FINAL = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

export function client(svc: Pick<ServiceProcess, 'baseUrl'>, key: string) {
  return async (
    path: string,
    init: { method?: string; json?: unknown } = {},
  ): Promise<{ status: number; body: any }> => {
    const res = await fetch(svc.baseUrl + path, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${key}`,
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

export type Client = ReturnType<typeof client>;

export async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the saga's history shows `type` for `step`. */
export function eventSeen(api: Client, sagaId: string, type: string, step: string) {
  return until(`${type} ${step} of ${sagaId}`, async () => {
    const { body } = await api(`/api/v1/sagas/${sagaId}/events`);
    return (body as Json[]).some((e) => e.type === type && e.step === step);
  });
}

/** Each participant's records for a COMPLETED order saga: exactly one each, none repeated. */
export async function effectsOnce(api: Client, sagaId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of PARTICIPANTS) {
    const { status, body } = await api(`/api/v1/participants/${p}/records?sagaId=${sagaId}`);
    if (status !== 200) throw new Error(`${p} records: ${status}`);
    out[p] = (body as Json[]).map((r) => String(r.kind));
  }
  return out;
}

export const ONE_EACH = {
  order: ['order'],
  inventory: ['reservation'],
  payment: ['charge'],
  shipping: ['shipment'],
  notification: ['message'],
};
