/**
 * Small POSIX shell programs the local engine runs inside the sandbox through
 * `docker exec`. They use only coreutils, grep and tar, so they work in the base
 * image and in ordinary images such as node:*-slim and python:*-slim.
 * Each takes its operands as positional parameters, never spliced into the text.
 */

/** Exit codes the file scripts use to say what went wrong (outside the range tools use). */
export const EXIT = { notFound: 44, isDirectory: 45, tooLarge: 46, notDirectory: 47 } as const;

/** Environment variable that marks every process of one exec, children included. */
export const PROCESS_MARKER = 'CODE_SANDBOX_PROCESS';

/** `sh -c SCRIPT sh ARGS...` as an exec command. */
export function shell(script: string, ...args: string[]): string[] {
  return ['/bin/sh', '-c', script, 'sh', ...args];
}

/**
 * $1 signal name without SIG (dash knows no prefix), $2 process id: signals every process whose environment carries the
 * marker, which finds children, double-forked daemons and setsid escapees alike.
 */
export const KILL_MARKED = `
for p in /proc/[0-9]*; do
  if tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qxF "${PROCESS_MARKER}=$2"; then
    kill -s "$1" "\${p#/proc/}" 2>/dev/null
  fi
done
exit 0`;

/** $1 path, $2 byte limit: prints the file, or exits with one of EXIT's codes. */
export const READ_FILE = `
[ -d "$1" ] && exit ${EXIT.isDirectory}
[ -e "$1" ] || exit ${EXIT.notFound}
[ "$(stat -L -c %s -- "$1")" -gt "$2" ] && exit ${EXIT.tooLarge}
exec cat -- "$1"`;

/** $1 folder: prints "<type> <name>" NUL-terminated for each entry (type as find's %y). */
export const READ_DIR = `
[ -e "$1" ] || exit ${EXIT.notFound}
[ -d "$1" ] || exit ${EXIT.notDirectory}
exec find "$1" -mindepth 1 -maxdepth 1 -printf '%y %f\\0'`;

/** $1 path: deletes a file or a folder tree. */
export const DELETE = `
[ -e "$1" ] || [ -L "$1" ] || exit ${EXIT.notFound}
exec rm -rf -- "$1"`;

/** Unpacks a tar read from stdin into the workspace. */
export const UNTAR = 'exec tar -x --no-same-owner -f - -C /workspace';
