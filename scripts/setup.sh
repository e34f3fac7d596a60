#!/usr/bin/env bash
# Makes this machine ready for code-sandbox: a Docker-compatible daemon, the
# default sandbox image and the seccomp profile (`docker`), the sandbox agent
# every sandbox runs as PID 1 (`agent`), the images of other stacks (`images`),
# and the browsers the tests drive (`browsers`).
# Used by the test command, CI and `npm start`. Idempotent: a second run on a
# ready machine takes a second or two.
#
#   scripts/setup.sh [docker] [agent] [images [stack...]] [browsers] [runsc]   (default: docker agent browsers)
#
#   e.g. `npm run setup -- images go rust`; the stacks are node (also python), go,
#   rust, ruby and php; `images` alone builds them all.
#
#   CODE_SANDBOX_SECCOMP_PROFILE  where to install the sandboxes' seccomp profile
#                        (default /etc/code-sandbox/seccomp.json, where engines look)
#   CODE_SANDBOX_AGENT   where to build the sandbox agent
#                        (default /usr/local/lib/code-sandbox/code-sandbox-agent)
#   DOCKER_HOST          use that daemon (e.g. Podman's socket) instead of starting one
#   CHROMIUM_PATH        use that Chromium instead of Debian's
#   CODE_SANDBOX_RUNSC   where gVisor's runsc is, or goes (default /usr/local/bin/runsc)
set -euo pipefail

STATE_DIR="${CODE_SANDBOX_STATE_DIR:-/var/tmp/code-sandbox}"
SECCOMP_PROFILE="${CODE_SANDBOX_SECCOMP_PROFILE:-/etc/code-sandbox/seccomp.json}"
AGENT="${CODE_SANDBOX_AGENT:-/usr/local/lib/code-sandbox/code-sandbox-agent}"
MINIMAL_IMAGE=code-sandbox/minimal:trixie
log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root. Run this script with sudo, or start a Docker daemon yourself and set DOCKER_HOST."
}

apt_updated=
apt_install() {
  as_root "installing $*"
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_daemon() {
  if docker info >/dev/null 2>&1; then
    log "Docker daemon is up ($(docker info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null))"
    return
  fi
  [ -n "${DOCKER_HOST:-}" ] && die "DOCKER_HOST=$DOCKER_HOST does not answer. Start that daemon (for Podman: podman system service --time=0 unix:///run/podman/podman.sock &)."
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  command -v docker >/dev/null 2>&1 || apt_install docker-cli
  # The orchestrator firewalls its sandbox network with iptables (no sandbox may reach
  # this host or 169.254.0.0/16); docker.io pulls it in, but make sure of it.
  command -v iptables >/dev/null 2>&1 || apt_install iptables
  as_root "starting dockerd"
  mkdir -p "$STATE_DIR"
  log "starting dockerd (log: $STATE_DIR/dockerd.log)"
  nohup dockerd >"$STATE_DIR/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do
    if docker info >/dev/null 2>&1; then
      log "dockerd is up"
      return
    fi
    sleep 0.5
  done
  tail -n 20 "$STATE_DIR/dockerd.log" >&2 || true
  die "dockerd did not answer within 60 s; see $STATE_DIR/dockerd.log"
}

# The sandbox images (their names are also in src/server/stack-images.ts): one
# Debian trixie root filesystem, built offline with debootstrap from the machine's
# own apt mirror (there is no image registry here) and imported once, then one
# `docker build` per stack FROM it (scripts/images/<stack>.Dockerfile), so the
# stacks share its layer.
ROOT_IMAGE=code-sandbox/debian:trixie
STACKS="base go rust ruby php"
NODE_VERSION=22.23.5   # the official Node.js LTS build, from the npm registry
NPM_VERSION=11.21.3
IMAGES_DIR="$(cd "$(dirname "$0")" && pwd)/images"

# The first plain Debian archive the machine's apt sources name (one-line or deb822).
debian_mirror() {
  local mirror
  mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^(URIs:|deb) / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }' || true)"
  echo "${mirror:-http://deb.debian.org/debian}"
}

stack_image() { echo "code-sandbox/$1:trixie"; }
image_size() { docker image inspect "$1" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'; }

ensure_root_image() {
  if docker image inspect "$ROOT_IMAGE" >/dev/null 2>&1; then
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  as_root "building the sandbox images"
  local mirror rootfs started=$SECONDS
  mirror="$(debian_mirror)"
  rootfs="$(mktemp -d /var/tmp/code-sandbox-rootfs.XXXXXX)"
  trap 'rm -rf "${rootfs:-}"; trap - RETURN' RETURN
  log "debootstrap trixie from $mirror for $ROOT_IMAGE (takes 1-2 minutes)"
  debootstrap --variant=minbase --include=ca-certificates trixie "$rootfs" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 30 "$STATE_DIR/debootstrap.log" >&2; die "debootstrap failed; see $STATE_DIR/debootstrap.log"; }
  # An intercepting proxy signs outbound HTTPS here: trust its CA inside sandboxes
  # too, or npm fails with SELF_SIGNED_CERT_IN_CHAIN.
  if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
  fi
  # No services start while the stack images install packages (redis-server's would).
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" && chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  # The unprivileged user sandboxes run as, and the workspace it owns.
  chroot "$rootfs" groupadd --gid 1000 sandbox
  chroot "$rootfs" useradd --uid 1000 --gid 1000 --home-dir /home/sandbox --create-home --shell /bin/bash sandbox
  mkdir -p "$rootfs/workspace" && chown 1000:1000 "$rootfs/workspace"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  : >"$rootfs/etc/resolv.conf"
  log "importing the root filesystem as $ROOT_IMAGE"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'WORKDIR /workspace' \
    --change 'CMD ["/bin/bash"]' \
    - "$ROOT_IMAGE" >/dev/null
  log "$ROOT_IMAGE is ready ($(image_size "$ROOT_IMAGE"), $((SECONDS - started)) s)"
}

# One stack's image, FROM the root image; its RUN steps install Debian's packages.
ensure_stack_image() {
  local stack=$1 image context started
  image="$(stack_image "$stack")"
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "image $image is present"
    return
  fi
  ensure_root_image
  started=$SECONDS
  context="$(mktemp -d)"
  trap 'rm -rf "${context:-}"; trap - RETURN' RETURN
  if [ "$stack" = base ]; then
    local arch
    case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) die "no official Node.js build for $(uname -m)" ;; esac
    log "fetching Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry"
    (cd "$context" && npm pack --silent "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) \
      || die "cannot fetch node-linux-$arch@$NODE_VERSION and npm@$NPM_VERSION from the npm registry"
    mv "$context/node-linux-$arch-$NODE_VERSION.tgz" "$context/node.tgz"
    mv "$context/npm-$NPM_VERSION.tgz" "$context/npm.tgz"
  fi
  log "building $image (scripts/images/$stack.Dockerfile; log: $STATE_DIR/image-$stack.log)"
  # The legacy builder works offline FROM a local image; buildx may not be installed.
  DOCKER_BUILDKIT=0 docker build --build-arg "ROOT=$ROOT_IMAGE" -t "$image" -f "$IMAGES_DIR/$stack.Dockerfile" "$context" \
    2>&1 | tee "$STATE_DIR/image-$stack.log" | { grep --line-buffered '^Step ' || true; } | while IFS= read -r line; do log "  $stack: ${line:0:100}"; done
  docker image inspect "$image" >/dev/null 2>&1 \
    || { tail -n 30 "$STATE_DIR/image-$stack.log" >&2; die "building $image failed; see $STATE_DIR/image-$stack.log"; }
  log "image $image is ready ($(image_size "$image"), $((SECONDS - started)) s)"
}

# `images [stack...]`: those stacks' images (default: all). node and python are the base image's.
ensure_images() {
  local stack wanted=() asked=("$@")
  [ $# -gt 0 ] || read -ra asked <<<"$STACKS"
  for stack in "${asked[@]}"; do
    case "$stack" in
      node|python|shell|base) wanted+=(base) ;;
      go|rust|ruby|php) wanted+=("$stack") ;;
      *) die "unknown stack '$stack'; the images are: node (python), go, rust, ruby, php" ;;
    esac
  done
  for stack in $(printf '%s\n' "${wanted[@]}" | awk '!seen[$0]++'); do ensure_stack_image "$stack"; done
}

# The sandboxes' seccomp profile: Docker's default without ptrace (see
# scripts/seccomp-profile.mjs), made from the default.json in Debian's package of
# Docker's sources, so it matches the daemon's version. Engines use it from here.
ensure_seccomp() {
  if [ -s "$SECCOMP_PROFILE" ]; then
    log "seccomp profile $SECCOMP_PROFILE is present"
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    log "warning: not root, so no seccomp profile at $SECCOMP_PROFILE; sandboxes get the daemon's default, which allows ptrace"
    return
  fi
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "${work:-}"; trap - RETURN' RETURN
  log "making the seccomp profile from Docker's default"
  [ -n "$apt_updated" ] || apt-cache show golang-github-docker-docker-dev >/dev/null 2>&1 \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1; }
  (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root golang-github-docker-docker-dev >/dev/null) \
    || die "cannot download golang-github-docker-docker-dev (Docker's sources, for its default seccomp profile)"
  dpkg-deb -x "$work"/*.deb "$work/src"
  mkdir -p "$(dirname "$SECCOMP_PROFILE")"
  node "$(dirname "$0")/seccomp-profile.mjs" "$work/src/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json" "$SECCOMP_PROFILE"
  log "seccomp profile $SECCOMP_PROFILE is ready (Docker's default without ptrace)"
}

# The sandbox agent (agent/, Go, stdlib only): a static binary every sandbox runs
# as PID 1, built here from the package's sources with Debian's Go toolchain.
# Rebuilt only when the sources change: a hash of them is kept beside it.
ensure_agent() {
  local src hash
  src="$(cd "$(dirname "$0")" && cd .. && pwd)/agent"
  [ -f "$src/go.mod" ] || die "the agent's sources are missing ($src/go.mod); reinstall code-sandbox"
  hash="$(cd "$src" && find . -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod \) \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
  if [ -x "$AGENT" ] && [ "$(cat "$AGENT.sha256" 2>/dev/null)" = "$hash" ]; then
    log "sandbox agent $AGENT is up to date"
  else
    command -v go >/dev/null 2>&1 || apt_install golang-go
    mkdir -p "$(dirname "$AGENT")" 2>/dev/null && [ -w "$(dirname "$AGENT")" ] \
      || die "cannot write $(dirname "$AGENT"); run this script with sudo, or set CODE_SANDBOX_AGENT to a writable path"
    log "building the sandbox agent into $AGENT ($(go version | cut -d' ' -f3))"
    (cd "$src" && CGO_ENABLED=0 GOPROXY=off GOFLAGS= GOCACHE="${GOCACHE:-$STATE_DIR/go-build}" \
      go build -trimpath -ldflags='-s -w' -o "$AGENT.new" .) || die "building the agent failed (see above); Go 1.19 or newer is needed"
    mv -f "$AGENT.new" "$AGENT"
    printf '%s\n' "$hash" >"$AGENT.sha256"
    log "sandbox agent is ready ($(du -k "$AGENT" | cut -f1) KiB)"
  fi
  ensure_minimal_image
}

# A test image with neither Node nor perl, made offline from the root image: the
# agent's tests run in it too, to show it needs no runtime in the sandbox.
ensure_minimal_image() {
  if docker image inspect "$MINIMAL_IMAGE" >/dev/null 2>&1; then
    log "image $MINIMAL_IMAGE is present"
    return
  fi
  ensure_root_image
  log "building $MINIMAL_IMAGE ($ROOT_IMAGE without perl)"
  printf '%s\n' "FROM $ROOT_IMAGE" \
    "RUN dpkg --purge --force-depends --force-remove-essential perl-base; \\" \
    "    rm -rf /usr/share/perl /usr/share/perl5 /usr/lib/x86_64-linux-gnu/perl*; \\" \
    "    ! command -v node && ! command -v npm && ! command -v perl" \
    | DOCKER_BUILDKIT=0 docker build --network none -t "$MINIMAL_IMAGE" - >"$STATE_DIR/minimal-image.log" 2>&1 \
    || { tail -n 20 "$STATE_DIR/minimal-image.log" >&2; die "building $MINIMAL_IMAGE failed; see $STATE_DIR/minimal-image.log"; }
  log "image $MINIMAL_IMAGE is ready"
}

# The three browser engines the browser suites run in, from Debian (npm cannot
# download browsers here): Chromium, Firefox ESR (driven over WebDriver BiDi) and
# WebKitGTK's WebKitWebDriver, which needs an X display (xvfb-run needs xauth).
ensure_browsers() {
  local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}" missing=()
  [ -x "$chromium" ] || missing+=(chromium)
  command -v firefox-esr >/dev/null 2>&1 || missing+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
  command -v xvfb-run >/dev/null 2>&1 || missing+=(xvfb)
  command -v xauth >/dev/null 2>&1 || missing+=(xauth)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing browsers: ${missing[*]} (takes a minute or two)"
    apt_install "${missing[@]}"
    [ -x "$chromium" ] || chromium=/usr/bin/chromium
  fi
  log "Chromium is ready ($("$chromium" --version 2>/dev/null | head -n1))"
  log "Firefox is ready ($(firefox-esr --version 2>/dev/null | head -n1))"
  # WebKitWebDriver has no --version; the package version is WebKitGTK's.
  log "WebKit is ready (WebKitGTK $(dpkg-query -W -f '${Version}' webkit2gtk-driver 2>/dev/null || echo '?'))"
}

# gVisor's runsc, registered with Docker as the runtime `runsc` (`--runtime runsc`).
# The build comes from Debian trixie's package whatever this machine runs:
# bookworm has none, and unstable's build of the same release (made with a newer
# Go) panics in its sentry on the first `npm --version`. Its apt lists go to a
# folder of their own, so the machine's apt sources stay as they are.
RUNSC="${CODE_SANDBOX_RUNSC:-/usr/local/bin/runsc}"
DAEMON_JSON=/etc/docker/daemon.json

ensure_runsc_binary() {
  if [ -x "$RUNSC" ] && "$RUNSC" --version >/dev/null 2>&1; then
    log "gVisor $RUNSC is present ($("$RUNSC" --version | head -n1))"
    return
  fi
  as_root "installing gVisor (runsc)"
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "${work:-}"; trap - RETURN' RETURN
  mkdir -p "$work/lists/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) trixie main" >"$work/sources.list"
  local apt=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
  log "fetching runsc from Debian trixie"
  apt-get "${apt[@]}" update -qq >/dev/null || die "cannot read Debian trixie's package lists from $(debian_mirror)"
  (cd "$work" && apt-get "${apt[@]}" download -qq runsc >/dev/null) || die "cannot download Debian trixie's runsc package"
  dpkg-deb -x "$work"/runsc_*.deb "$work/root"
  install -D -m 755 "$work/root/usr/bin/runsc" "$RUNSC"
  "$RUNSC" --version >/dev/null || die "$RUNSC does not run on this machine"
  log "gVisor is installed at $RUNSC ($("$RUNSC" --version | head -n1))"
}

# Registers runsc in daemon.json, keeping what else is there; says whether it
# changed the file. --network=host: the sandbox keeps the network namespace Docker
# made for it (its bridge, the firewall) and gVisor passes its sockets to the host
# kernel there; gVisor's own netstack refuses to start inside that namespace (see
# docs/security.md). Not --oci-seccomp (gVisor applying the seccomp profile itself):
# with Docker's profile, Node in this release then often fails to start a thread.
register_runsc() {
  as_root "registering runsc with Docker"
  mkdir -p "$(dirname "$DAEMON_JSON")"
  RUNSC="$RUNSC" node - "$DAEMON_JSON" <<'NODE'
const fs = require('node:fs');
const file = process.argv[2];
const config = fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const wanted = { path: process.env.RUNSC, runtimeArgs: ['--network=host'] };
if (JSON.stringify(config.runtimes?.runsc) === JSON.stringify(wanted)) process.exit(0);
config.runtimes = { ...config.runtimes, runsc: wanted };
fs.writeFileSync(`${file}.new`, `${JSON.stringify(config, null, 2)}\n`);
fs.renameSync(`${file}.new`, file);
console.error(`[setup] registered runsc in ${file}`);
process.exit(10);
NODE
}

runsc_registered() { docker info --format '{{json .Runtimes.runsc}}' 2>/dev/null | grep -q -- '--network=host'; }

# Makes the running daemon know runsc: dockerd reloads its runtimes on SIGHUP,
# so running containers are untouched. A daemon setup starts reads the file anyway.
ensure_runsc() {
  [ -z "${DOCKER_HOST:-}" ] || die "runsc: register it with the daemon at DOCKER_HOST=$DOCKER_HOST yourself (its runtimes, with --network=host); this script sets up the local dockerd"
  ensure_runsc_binary
  local changed=0
  register_runsc || { [ $? = 10 ] && changed=1; } || die "cannot update $DAEMON_JSON (is it valid JSON?)"
  ensure_daemon
  if [ "$changed" = 1 ] || ! runsc_registered; then
    local pid
    pid="$(pidof dockerd || true)"
    [ -n "$pid" ] || die "the Docker daemon is not a local dockerd; register runsc with it yourself"
    log "reloading dockerd's runtimes (SIGHUP)"
    kill -HUP $pid
    for _ in $(seq 1 20); do runsc_registered && break; sleep 0.5; done
    runsc_registered || die "dockerd did not take runsc from $DAEMON_JSON; see its log"
  fi
  log "runtime runsc is registered with Docker (use --runtime runsc)"
}

# The fleet suite (test/hostile/fleet-nginx.test.ts): Debian's nginx in front of servers in network
# namespaces (iproute2, nsenter). The suite runs its own nginx with its own config; the package's
# service must not start (no init here would stop it): a policy-rc.d refuses it for the install.
ensure_fleet() {
  if ! command -v nginx >/dev/null 2>&1; then
    local policy=/usr/sbin/policy-rc.d made=
    [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1; }
    apt_install nginx-light iproute2 util-linux || apt_install nginx iproute2 util-linux
    [ -n "$made" ] && rm -f "$policy"
  fi
  log "nginx is ready ($(nginx -v 2>&1 | sed 's/^nginx version: //'))"
}

mkdir -p "$STATE_DIR" 2>/dev/null || STATE_DIR="$(mktemp -d)"
set -- ${*:-docker agent browsers}
while [ $# -gt 0 ]; do
  part=$1
  shift
  case "$part" in
    docker) ensure_daemon; ensure_images base; ensure_seccomp ;;
    images)
      stacks=()
      while [ $# -gt 0 ] && [[ " node python shell base $STACKS " == *" $1 "* ]]; do stacks+=("$1"); shift; done
      ensure_daemon; ensure_images "${stacks[@]}" ;;
    agent) ensure_daemon; ensure_agent ;;
    browsers) ensure_browsers ;;
    runsc) ensure_runsc ;;
    fleet) ensure_daemon; ensure_fleet ;;
    *) die "unknown part '$part'; use docker, agent, images [stack...], browsers, runsc and/or fleet" ;;
  esac
done
