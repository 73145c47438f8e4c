// Which process holds a loopback TCP connection: the saga failure scenario must kill the worker
// whose step is in flight, and the participant only knows the client port of that request.
import fs from 'node:fs';

/** The socket inode of the IPv4/IPv6 TCP socket bound locally to `port` (Linux /proc). */
function inodeOfLocalPort(port: number): string | null {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(table)) continue;
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] is local_address "ADDR:PORT"; cols[9] is the inode.
      if (cols[1]?.endsWith(`:${hex}`) && cols[9] && cols[9] !== '0') return cols[9];
    }
  }
  return null;
}

/** The pid among `pids` with an open file descriptor on that socket, or null. */
export function ownerOfLocalPort(port: number, pids: number[]): number | null {
  const inode = inodeOfLocalPort(port);
  if (!inode) return null;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // the process is gone
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid;
      } catch {
        // the descriptor closed while we looked
      }
    }
  }
  return null;
}
