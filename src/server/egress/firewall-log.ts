/**
 * Connections the registries network's firewall refuses (a process that
 * ignores the proxy variables and connects directly) never reach the proxy, so
 * the proxy cannot log them. The firewall's LOG rules (sandbox-network.ts)
 * write them to the kernel log under a prefix naming the network; this reads
 * them back with `dmesg --follow-new`, for the server to name the session as it
 * does for the proxy's refusals.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

/** One connection the firewall refused, as the kernel logged it. */
export interface FirewallRefusal {
  /** The sandbox's address. */
  source: string;
  /** `address:port`, with the protocol named unless TCP (`address:53 (udp)`, `address (icmp)`). */
  target: string;
}

/** The refusal a kernel log line records, if it carries `prefix`. */
export function parseFirewallRefusal(line: string, prefix: string): FirewallRefusal | undefined {
  const at = line.indexOf(prefix);
  if (at < 0) return undefined;
  const fields = Object.fromEntries([...line.slice(at + prefix.length).matchAll(/\b(SRC|DST|PROTO|DPT)=(\S+)/g)].map((m) => [m[1], m[2]]));
  if (!fields['SRC'] || !fields['DST']) return undefined;
  const protocol = (fields['PROTO'] ?? 'ip').toLowerCase();
  const where = fields['DPT'] ? `${fields['DST']}:${fields['DPT']}` : fields['DST'];
  return { source: fields['SRC'], target: protocol === 'tcp' ? where : `${where} (${protocol})` };
}

/**
 * Follows the kernel log for refusals under `prefix` until the returned function is called.
 * `unavailable(reason)` is called once if the log cannot be read (no dmesg, or not allowed).
 */
export function followFirewallRefusals(prefix: string, onRefusal: (refusal: FirewallRefusal) => void, unavailable: (reason: string) => void): () => void {
  let stopped = false;
  const dmesg = spawn('dmesg', ['--follow-new', '--notime'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Reading the log must not keep the server's process alive on its own.
  dmesg.unref();
  for (const stream of [dmesg.stdout, dmesg.stderr] as unknown as Socket[]) stream.unref();
  let stderr = '';
  dmesg.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: dmesg.stdout }).on('line', (line) => {
    const refusal = parseFirewallRefusal(line, prefix);
    if (refusal) onRefusal(refusal);
  });
  const fail = (reason: string) => {
    if (stopped) return;
    stopped = true;
    unavailable(reason);
  };
  dmesg.on('error', (error) => fail(error.message));
  dmesg.on('exit', (code) => fail(stderr.trim() || `dmesg exited with ${code}`));
  return () => {
    stopped = true;
    dmesg.kill();
  };
}
