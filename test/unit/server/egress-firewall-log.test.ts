/** The firewall's refusal log: its rules and the kernel log lines read back, without Docker. Node only. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followFirewallRefusals, parseFirewallRefusal } from '../../../src/server/egress/firewall-log.js';
import { refusalLogPrefix, sandboxFirewallRules } from '../../../src/server/local-engine/sandbox-network.js';

const prefix = refusalLogPrefix('dba5272aed57b1c0ffee');

describe('egress firewall log', () => {
  it('logs each refusal just before its REJECT, new connections only, and logs nothing without a prefix', () => {
    const rules = sandboxFirewallRules({ bridge: 'csbx1', blockedDestinations: ['0.0.0.0/0'] }, prefix);
    const jumps = rules.map((rule) => `${rule[0]} ${rule.at(-1) === prefix ? 'LOG' : rule[rule.indexOf('-j') + 1]}`);
    expect(jumps).to.deep.equal(['INPUT ACCEPT', 'INPUT LOG', 'INPUT REJECT', 'DOCKER-USER LOG', 'DOCKER-USER REJECT']);
    const log = rules[3]!;
    expect(log.join(' ')).to.contain('-i csbx1 -d 0.0.0.0/0 -m conntrack --ctstate NEW');
    expect(log.join(' ')).to.contain('--hashlimit-upto 10/sec --hashlimit-burst 20 --hashlimit-mode srcip');
    expect(sandboxFirewallRules({ bridge: 'csbx1' }).some((rule) => rule.includes('LOG'))).to.equal(false);
  });

  it('keeps the prefix within the kernel limit of 29 characters, naming the network', () => {
    expect(prefix).to.equal('csbx-refused dba5272aed57: ');
    expect(prefix.length).to.be.at.most(29);
  });

  it('says why when the kernel log cannot be read: no dmesg, or not allowed to read it', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'fake-dmesg-'));
    // What dmesg prints without CAP_SYSLOG when kernel.dmesg_restrict is 1.
    writeFileSync(join(bin, 'dmesg'), '#!/bin/sh\necho "dmesg: read kernel buffer failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
    const reasonWith = async (path: string) => {
      const saved = process.env['PATH'];
      const reasons: string[] = [];
      let first!: Promise<void>;
      process.env['PATH'] = path;
      try {
        first = new Promise((resolve) => followFirewallRefusals(prefix, () => undefined, (reason) => (reasons.push(reason), resolve())));
      } finally {
        process.env['PATH'] = saved;
      }
      await first;
      // Any later event of the ended process (close, exit) comes within the next turns of the event loop.
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      return reasons;
    };
    try {
      expect(await reasonWith('/nonexistent')).to.have.length(1).and.to.satisfy((reasons: string[]) => reasons[0]!.includes('ENOENT'));
      expect(await reasonWith(bin)).to.deep.equal(['dmesg: read kernel buffer failed: Operation not permitted']);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('reads the source and the target of TCP, UDP and ICMP refusals, and ignores other lines', () => {
    const tcp = `${prefix}IN=csbx1 OUT=eth0 MAC=02:42 SRC=172.19.0.2 DST=104.16.1.35 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=40000 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0`;
    expect(parseFirewallRefusal(tcp, prefix)).to.deep.equal({ source: '172.19.0.2', target: '104.16.1.35:443' });
    const udp = `[  42.1] ${prefix}IN=csbx1 OUT=eth0 SRC=172.19.0.2 DST=8.8.8.8 LEN=57 PROTO=UDP SPT=5353 DPT=53 LEN=37`;
    expect(parseFirewallRefusal(udp, prefix)).to.deep.equal({ source: '172.19.0.2', target: '8.8.8.8:53 (udp)' });
    const icmp = `${prefix}IN=csbx1 OUT= SRC=172.19.0.2 DST=172.19.0.1 LEN=84 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=1`;
    expect(parseFirewallRefusal(icmp, prefix)).to.deep.equal({ source: '172.19.0.2', target: '172.19.0.1 (icmp)' });
    expect(parseFirewallRefusal(tcp.replace('dba5272aed57', '0123456789ab'), prefix), 'another network').to.equal(undefined);
    expect(parseFirewallRefusal('csbx1: port 1(veth43218fe) entered forwarding state', prefix)).to.equal(undefined);
  });
});
