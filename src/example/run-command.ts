/** What Run runs: the author's command line, or the stack's default for the files. DOM-free. */
import type { FileSystemTree } from '../engine/file-system-tree.js';
import { planDevServer } from '../engine/stack.js';
import { topLevelNames, topLevelText } from './tree-builder.js';

/**
 * The default command for a tree: package.json's `dev`/`start` script or a
 * conventional entry file (the same rules as a dev server), else the only
 * top-level script. Undefined when nothing says.
 */
export function defaultCommand(tree: FileSystemTree): string | undefined {
  const planned = devServerCommand(tree);
  if (planned) return planned;
  const names = topLevelNames(tree);
  const scripts = names.filter((name) => /\.(m?js|cjs|py|sh)$/.test(name));
  if (scripts.length !== 1) return undefined;
  const script = scripts[0]!;
  return script.endsWith('.py') ? `python3 ${script}` : script.endsWith('.sh') ? `sh ${script}` : `node ${script}`;
}

/**
 * The command a dev server starts with for a tree (preview layouts): package.json's
 * `dev`/`start` script or a conventional entry file, the rule every engine applies
 * when it is given no command. Undefined when nothing says.
 */
export function devServerCommand(tree: FileSystemTree): string | undefined {
  return planDevServer(topLevelNames(tree), topLevelText(tree, 'package.json'));
}

/** Characters that need a shell to mean what the author meant. */
const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]#~={}\n]/;

/**
 * A command line as `exec` arguments: split on spaces when it is a plain
 * command (so it runs without a shell, on every engine), else `sh -c line`.
 */
export function commandArgs(line: string): [cmd: string, args: string[]] {
  if (SHELL_SYNTAX.test(line)) return ['sh', ['-c', line]];
  const [cmd = 'true', ...args] = line.trim().split(/\s+/);
  return [cmd, args];
}
