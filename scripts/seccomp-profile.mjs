// Writes the sandboxes' seccomp profile: Docker's own default profile with ptrace
// taken out, so a sandbox's processes cannot trace one another (the file helpers
// the engine runs in the sandbox included). scripts/setup.sh runs it on the
// default.json that Debian ships with Docker's sources.
//
//   node scripts/seccomp-profile.mjs <docker-default.json> <out.json>
import { readFileSync, writeFileSync } from 'node:fs';

const DENIED = new Set(['ptrace']);

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node scripts/seccomp-profile.mjs <docker-default.json> <out.json>');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(input, 'utf8'));
if (profile.defaultAction === 'SCMP_ACT_ALLOW' || !Array.isArray(profile.syscalls)) {
  console.error(`${input} is not an allow-list seccomp profile like Docker's default`);
  process.exit(1);
}
profile.syscalls = profile.syscalls
  .map((rule) => (rule.action === 'SCMP_ACT_ALLOW' ? { ...rule, names: rule.names.filter((name) => !DENIED.has(name)) } : rule))
  .filter((rule) => rule.names.length > 0);
writeFileSync(output, `${JSON.stringify(profile, null, 2)}\n`);
