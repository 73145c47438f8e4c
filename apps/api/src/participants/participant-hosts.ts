// SAGA_PARTICIPANT_HOSTS: where HTTP participants may live. A saga service that calls any URL
// a definition names is a server-side request forgery waiting to happen, so the list is
// checked twice: when a definition is registered, and again before every call (the list may
// have changed since, or the definition may have been written to the database by hand).
import { isIP } from 'node:net';

/** One allowed host: an exact name or address, or `*.suffix`, optionally bound to one port. */
export interface AllowedHost {
  host: string;
  /** `*.example.internal` matches every name below example.internal (not itself). */
  wildcard: boolean;
  port: number | null;
}

/** Unset: loopback only. */
export type ParticipantHostPolicy = { kind: 'loopback' } | { kind: 'list'; hosts: AllowedHost[] };

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** Parses the variable; throws with the offending entry when one is malformed. */
export function parseParticipantHosts(raw: string | undefined): ParticipantHostPolicy {
  if (raw === undefined || raw.trim() === '') return { kind: 'loopback' };
  const hosts = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry): AllowedHost => {
      // [v6]:port, [v6], host:port, host
      const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s/]+))(?::(\d{1,5}))?$/.exec(entry);
      if (!m) throw new Error(`'${entry}' is not a host or host:port`);
      const host = (m[1] ?? m[2]).toLowerCase();
      const port = m[3] === undefined ? null : Number(m[3]);
      if (port !== null && (port < 1 || port > 65535)) throw new Error(`'${entry}': bad port`);
      const wildcard = host.startsWith('*.');
      if (host.includes('*') && (!wildcard || host.slice(2).includes('*'))) {
        throw new Error(`'${entry}': only a leading '*.' wildcard is allowed`);
      }
      return { host: wildcard ? host.slice(2) : host, wildcard, port };
    });
  return { kind: 'list', hosts };
}

function defaultPort(u: URL): number {
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/** Whether a participant URL points at an allowed host. */
export function isParticipantUrlAllowed(url: string, policy: ParticipantHostPolicy): boolean {
  if (!URL.canParse(url)) return false;
  const u = new URL(url);
  const hostname = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (policy.kind === 'loopback') return isLoopback(hostname);
  const port = defaultPort(u);
  return policy.hosts.some(
    (h) =>
      (h.port === null || h.port === port) &&
      (h.wildcard ? hostname.endsWith(`.${h.host}`) : hostname === h.host),
  );
}

/** The policy in words, for error messages. */
export function describeParticipantHosts(policy: ParticipantHostPolicy): string {
  if (policy.kind === 'loopback') return 'loopback only (SAGA_PARTICIPANT_HOSTS is unset)';
  return `SAGA_PARTICIPANT_HOSTS=${policy.hosts
    .map(
      (h) =>
        `${h.wildcard ? '*.' : ''}${h.host.includes(':') ? `[${h.host}]` : h.host}${h.port ? `:${h.port}` : ''}`,
    )
    .join(',')}`;
}

export { isLoopback as isLoopbackHost };
