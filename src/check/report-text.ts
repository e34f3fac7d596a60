/** The human-readable report of `code-sandbox check`: one line per example, details under failures, a summary. */
import type { CheckStatus, ExampleReport } from './check-examples.js';

const MARKS: Record<CheckStatus, string> = { passed: '✓', failed: '✗', drifted: '≠', skipped: '-' };
const TAIL_LINES = 12;

/** One line for an example, plus what went wrong under it. */
export function formatReport(report: ExampleReport): string {
  const name = `${report.file}:${report.line}${report.id ? ` #${report.id}` : ''}`;
  if (report.status === 'skipped') return `${MARKS.skipped} ${name}  skipped`;
  const parts = [
    report.stack ?? 'unknown stack',
    report.exitCode === undefined ? 'did not run' : `exit ${report.exitCode}`,
    `${(report.milliseconds / 1000).toFixed(1)} s`,
    report.outputMatched === undefined ? undefined : report.outputMatched ? 'output matches' : 'output differs',
    report.updated ? 'expected output updated' : undefined,
  ].filter(Boolean);
  const lines = [`${MARKS[report.status]} ${name}  ${parts.join(', ')}`];
  if (report.status === 'failed') {
    if (report.error) lines.push(indent(report.error));
    if (report.output) lines.push(indent(report.output.split('\n').slice(-TAIL_LINES).join('\n')));
  } else if (report.status === 'drifted') {
    lines.push(indent(`expected:\n${indent(report.expected ?? '')}\nactual:\n${indent(report.output)}`));
  }
  return lines.join('\n');
}

/** The closing line: counts and wall time. */
export function formatSummary(reports: readonly ExampleReport[], milliseconds: number): string {
  const count = (status: CheckStatus): number => reports.filter((report) => report.status === status).length;
  const counts = (['passed', 'failed', 'drifted', 'skipped'] as const).map((status) => `${count(status)} ${status}`).join(', ');
  return `${reports.length} example${reports.length === 1 ? '' : 's'}: ${counts} in ${(milliseconds / 1000).toFixed(1)} s`;
}

function indent(text: string): string {
  return text.split('\n').map((line) => `    ${line}`).join('\n');
}
