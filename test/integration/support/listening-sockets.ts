import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A TCP socket in LISTEN state, with the process that holds it. */
export interface ListeningSocket {
  readonly pid: number;
  readonly command: string;
  readonly address: string;
  readonly port: number;
}

const LISTEN_STATE = '0A';

/** `0100007F:1F90` (tcp) or a 32-hex-digit IPv6 address (tcp6) to a printable address. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    // /proc/net/tcp prints the IPv4 address in host (little-endian) byte order.
    return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
  }
  const words = Array.from({ length: 4 }, (_, w) => hex.slice(w * 8, w * 8 + 8));
  const bytes = words.flatMap((word) => [6, 4, 2, 0].map((i) => word.slice(i, i + 2)));
  const groups = Array.from({ length: 8 }, (_, g) => `${bytes[g * 2]}${bytes[g * 2 + 1]}`);
  const text = groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':');
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(text);
  if (mapped?.[1] && mapped[2]) {
    const high = Number.parseInt(mapped[1], 16);
    const low = Number.parseInt(mapped[2], 16);
    return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return text === '0:0:0:0:0:0:0:1' ? '::1' : text === '0:0:0:0:0:0:0:0' ? '::' : text;
}

/** inode -> local address of every listening TCP socket of this machine. */
function listeningInodes(): Map<string, { address: string; port: number }> {
  const inodes = new Map<string, { address: string; port: number }>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, , state] = [fields[1], fields[2], fields[3]];
      const inode = fields[9];
      if (state !== LISTEN_STATE || !local || !inode) continue;
      const [addressHex, portHex] = local.split(':');
      if (!addressHex || !portHex) continue;
      inodes.set(inode, { address: decodeAddress(addressHex), port: Number.parseInt(portHex, 16) });
    }
  }
  return inodes;
}

/** The pid and every descendant of it (children found through /proc/<pid>/stat). */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces; the ppid follows the state.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    tree.push(pid);
    pending.push(...(parents.get(pid) ?? []));
  }
  return tree;
}

/**
 * Every TCP socket in LISTEN state held by `rootPid` or one of its descendants (Linux: read from
 * /proc, as `ss -ltnp` does).
 *
 * @example
 * const sockets = listeningSocketsOf(localStackPid);
 * expect(sockets.filter((s) => !isLoopback(s.address))).toEqual([]);
 */
export function listeningSocketsOf(rootPid: number): ListeningSocket[] {
  if (!existsSync('/proc/net/tcp')) {
    throw new Error('Reading listening sockets needs Linux /proc (this test runs on Linux CI)');
  }
  const inodes = listeningInodes();
  const sockets: ListeningSocket[] = [];
  for (const pid of processTree(rootPid)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3).join(' ');
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      const socket = inode ? inodes.get(inode) : undefined;
      if (socket) sockets.push({ pid, command, ...socket });
    }
  }
  return sockets;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}
