/**
 * Small POSIX shell programs the local engine runs inside the sandbox through
 * `docker exec`. They use only coreutils, grep and tar, so they work in the base
 * image and in ordinary images such as node:*-slim and python:*-slim.
 * Each takes its operands as positional parameters, never spliced into the text.
 */

/** Exit codes the file scripts use to say what went wrong (outside the range tools use). */
export const EXIT = { notFound: 44, isDirectory: 45, tooLarge: 46, notDirectory: 47, outside: 48, notFile: 49 } as const;

/**
 * `inside PATH`: whether an already resolved path is the workspace or in it. The
 * file scripts resolve symlinks with `realpath` and refuse what leaves the
 * workspace. They run as the sandbox's own unprivileged user, so a path swapped
 * between check and use can reach nothing the sandbox's processes cannot.
 */
const INSIDE = 'inside() { case "$1" in /workspace|/workspace/*) return 0;; esac; return 1; }';

/** Environment variable that marks every process of one exec, children included. */
export const PROCESS_MARKER = 'CODE_SANDBOX_PROCESS';

/** `sh -c SCRIPT sh ARGS...` as an exec command. */
export function shell(script: string, ...args: string[]): string[] {
  return ['/bin/sh', '-c', script, 'sh', ...args];
}

/** prctl's system call number per image architecture (Docker's names), for the subreaper below. */
export const PRCTL_SYSCALL: Readonly<Record<string, number>> = { amd64: 157, arm64: 167 };

/**
 * Starts every exec: $1 prctl's syscall number (empty when unknown), $2 and $3
 * the terminal's columns and rows (empty without one), then the command. A
 * terminal gets its size before the program starts, so programs that read it
 * once see the right one. The command becomes a child subreaper (the setting
 * survives exec), so children that double-fork stay its descendants instead of
 * being adopted by init, and a kill finds them even when they cleared their
 * environment. Images without perl still run, found by their marker only.
 */
export const START = `
[ -n "$2" ] && stty cols "$2" rows "$3" 2>/dev/null
n=$1; shift 3
[ -n "$n" ] && command -v perl >/dev/null 2>&1 &&
  exec perl -e 'syscall(shift @ARGV, 36, 1, 0, 0, 0); exec { $ARGV[0] } @ARGV; print STDERR "$ARGV[0]: $!\n"; exit($!{ENOENT} ? 127 : 126)' "$n" "$@"
exec "$@"`;

/**
 * $1 signal name without SIG (dash knows no prefix), $2 process id: signals
 * every process whose environment carries the marker, and all their
 * descendants (kept in the tree by START's subreaper), which finds children,
 * setsid escapees and double-forked daemons alike. A SIGKILL repeats until the
 * tree is empty, so children forked during the sweep go too.
 */
export const KILL_TREE = `
sig=$1 id=$2
for round in 1 2 3 4 5 6 7 8 9 10; do
  tree=" " pairs=""
  for p in /proc/[0-9]*; do
    read -r stat 2>/dev/null < "$p/stat" || continue
    set -- \${stat##*) }
    [ "$1" = Z ] && continue
    pairs="$pairs \${p#/proc/}:$2"
    grep -qzxF "${PROCESS_MARKER}=$id" "$p/environ" 2>/dev/null && tree="$tree\${p#/proc/} "
  done
  grown=1
  while [ $grown = 1 ]; do
    grown=0
    for pair in $pairs; do
      case "$tree" in *" \${pair#*:} "*) case "$tree" in *" \${pair%:*} "*) ;; *) tree="$tree\${pair%:*} " grown=1 ;; esac ;; esac
    done
  done
  [ "$tree" = " " ] && exit 0
  kill -s "$sig" $tree 2>/dev/null
  [ "$sig" = KILL ] || exit 0
  sleep 0.05
done
exit 0`;

/**
 * $1 path, $2 byte limit: prints the file, or exits with one of EXIT's codes. The
 * check is repeated on the descriptor actually opened, so a symlink swapped in
 * after the first check is caught too. (`command` keeps a failed open, the file
 * gone meanwhile, from ending the shell before it can say so.)
 */
export const READ_FILE = `${INSIDE}
p=$(realpath -e -- "$1" 2>/dev/null) || exit ${EXIT.notFound}
inside "$p" || exit ${EXIT.outside}
[ -d "$p" ] && exit ${EXIT.isDirectory}
[ -f "$p" ] || exit ${EXIT.notFile}
command exec 3< "$p" || exit ${EXIT.notFound}
inside "$(readlink /proc/self/fd/3)" || exit ${EXIT.outside}
[ "$(stat -L -c %s /proc/self/fd/3)" -gt "$2" ] && exit ${EXIT.tooLarge}
exec cat <&3`;

/** $1 folder: prints "<type> <name>" NUL-terminated for each entry (type as find's %y). */
export const READ_DIR = `${INSIDE}
p=$(realpath -e -- "$1" 2>/dev/null) || exit ${EXIT.notFound}
inside "$p" || exit ${EXIT.outside}
[ -d "$p" ] || exit ${EXIT.notDirectory}
exec find "$p" -mindepth 1 -maxdepth 1 -printf '%y %f\\0'`;

/** $1 path: deletes a file or a folder tree (a symlink itself, never what it points to). */
export const DELETE = `${INSIDE}
[ -e "$1" ] || [ -L "$1" ] || exit ${EXIT.notFound}
d=$(realpath -e -- "$(dirname -- "$1")" 2>/dev/null) || exit ${EXIT.notFound}
inside "$d" || exit ${EXIT.outside}
exec rm -rf -- "$d/$(basename -- "$1")"`;

/** $@ workspace-relative paths: writes a tar of them to stdout. */
export const TAR_OUT = 'exec tar -c -f - -C /workspace -- "$@"';

/**
 * Unpacks a tar read from stdin into the workspace; $@ are the absolute folders
 * it writes into, refused (exit EXIT.outside, the folder on stderr) when a symlink
 * on the way leads out of the workspace, since tar follows those. Symlinks the
 * archive itself makes to absolute or `..` targets GNU tar creates last.
 */
export const UNTAR = `${INSIDE}
for p; do r=$(realpath -m -- "$p" 2>/dev/null) && inside "$r" || { printf '%s' "$p" >&2; exit ${EXIT.outside}; }; done
exec tar -x --no-same-owner -f - -C /workspace`;

/** Prints the sandbox's memory cgroup events (cgroup v2, else v1), whose `oom_kill N` counts out-of-memory kills. */
export const OOM_EVENTS = 'cat /sys/fs/cgroup/memory.events 2>/dev/null || cat /sys/fs/cgroup/memory/memory.oom_control';
