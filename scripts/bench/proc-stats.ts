// CPU seconds and memory of the processes a bench phase involves, read from /proc (Linux).
// A process "group" is one pid, or a PostgreSQL postmaster with all its backends.
import fs from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface StatFields {
  ppid: number;
  /** utime + stime of the process itself, seconds. */
  selfSeconds: number;
  /** cutime + cstime: children that exited and were waited for, seconds. */
  reapedChildrenSeconds: number;
}

function readStat(pid: number): StatFields | null {
  let raw: string;
  try {
    raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const num = (field: number) => Number(rest[field - 3]);
  return {
    ppid: num(4),
    selfSeconds: (num(14) + num(15)) / TICKS_PER_SECOND,
    reapedChildrenSeconds: (num(16) + num(17)) / TICKS_PER_SECOND,
  };
}

function readStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
      fs.readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Proportional set size: shared pages (PostgreSQL's shared buffers) counted once overall. */
function readPssKiB(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (readStat(pid)?.ppid === parent) pids.push(pid);
  }
  return pids;
}

export interface TrackedProcess {
  /** e.g. 'api', 'worker', 'postgres', 'redis', 'floor', 'participant', 'driver'. */
  name: string;
  pid: number;
  /** A postmaster: its backends (live and exited) are part of it. */
  tree?: boolean;
}

export interface ProcSample {
  cpuSeconds: number;
  /** RSS of one process; for a tree, the sum of Pss over the postmaster and its backends. */
  memoryBytes: number;
}

/** CPU seconds so far and current memory of one tracked process (or tree); null when gone. */
export function sample(p: TrackedProcess): ProcSample | null {
  const own = readStat(p.pid);
  if (!own) return null;
  if (!p.tree) {
    return {
      cpuSeconds: own.selfSeconds,
      memoryBytes: (readStatusKiB(p.pid, 'VmRSS') ?? 0) * 1024,
    };
  }
  // Exited backends are in the postmaster's cutime/cstime; live ones are read one by one.
  let cpuSeconds = own.selfSeconds + own.reapedChildrenSeconds;
  let pssKiB = readPssKiB(p.pid) ?? 0;
  for (const child of childrenOf(p.pid)) {
    cpuSeconds += readStat(child)?.selfSeconds ?? 0;
    pssKiB += readPssKiB(child) ?? 0;
  }
  return { cpuSeconds, memoryBytes: pssKiB * 1024 };
}

/** Peak RSS over the process's whole life (VmHWM); null for a tree or a process gone. */
export function peakRssBytes(p: TrackedProcess): number | null {
  if (p.tree) return null;
  const kib = readStatusKiB(p.pid, 'VmHWM');
  return kib === null ? null : kib * 1024;
}

export interface PhaseUsage {
  /** CPU seconds used during the phase. */
  cpuSeconds: number;
  /** Highest memory sampled during the phase (bytes). */
  peakMemoryBytes: number;
}

/**
 * Samples a set of processes every `everyMs` between start() and stop(): CPU seconds used in
 * between (from the first and last reading) and the highest memory seen. Memory is sampled, so
 * a spike shorter than the period can be missed; VmHWM (peakRssBytes) cannot miss one.
 */
export class UsageRecorder {
  private first = new Map<string, ProcSample>();
  private last = new Map<string, ProcSample>();
  private peak = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly processes: () => TrackedProcess[],
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.first.clear();
    this.last.clear();
    this.peak.clear();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.everyMs);
  }

  private tick(): void {
    for (const p of this.processes()) {
      const s = sample(p);
      if (!s) continue;
      if (!this.first.has(p.name)) this.first.set(p.name, s);
      this.last.set(p.name, s);
      this.peak.set(p.name, Math.max(this.peak.get(p.name) ?? 0, s.memoryBytes));
    }
  }

  stop(): Record<string, PhaseUsage> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tick();
    const out: Record<string, PhaseUsage> = {};
    for (const [name, first] of this.first) {
      const last = this.last.get(name)!;
      out[name] = {
        cpuSeconds: Number((last.cpuSeconds - first.cpuSeconds).toFixed(2)),
        peakMemoryBytes: this.peak.get(name) ?? 0,
      };
    }
    return out;
  }
}
