#!/usr/bin/env bash
# Test hosts for the fleet suite: N network namespaces on one bridge (in a hub
# namespace of their own, so this host's firewall is not involved), each with
# its own dockerd (own data root, exec root, pidfile and socket), reachable
# from this host at 10.231.0.1x. The main dockerd is never touched.
#
#   fleet-hosts.sh up   DIR TAG N IMAGE   # prints one line per host: "NETNS ADDRESS DOCKER_HOST"
#   fleet-hosts.sh down DIR TAG N         # removes daemons, namespaces and links (idempotent)
set -euo pipefail
cmd=$1 dir=$2 tag=$3 n=$4
hub="csf${tag}hub"
log() { printf '[fleet-hosts %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

down() {
  for i in $(seq 1 "$n"); do
    local pidfile="$dir/host$i/docker.pid"
    local pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      # Its containers first (their shims outlive a killed daemon), then the daemon.
      DOCKER_HOST="unix://$dir/host$i/docker.sock" timeout 60 docker ps -aq | xargs -r env DOCKER_HOST="unix://$dir/host$i/docker.sock" timeout 60 docker rm -f >/dev/null 2>&1 || true
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    ip netns pids "csf${tag}s$i" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "csf${tag}s$i" 2>/dev/null || true
    # The data root holds overlay mounts until the daemon is gone.
    grep -o " $dir/host$i/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  done
  ip netns del "$hub" 2>/dev/null || true
  ip link del "csf${tag}h" 2>/dev/null || true
  rm -rf "$dir"
}

up() {
  local image=$5
  mkdir -p "$dir"
  ip netns add "$hub"
  ip -n "$hub" link add br0 type bridge
  ip -n "$hub" link set br0 up
  ip link add "csf${tag}h" type veth peer name h0 netns "$hub"
  ip addr add 10.231.0.1/24 dev "csf${tag}h"
  ip link set "csf${tag}h" up
  ip -n "$hub" link set h0 master br0 up
  docker save "$image" -o "$dir/image.tar"
  for i in $(seq 1 "$n"); do
    local ns="csf${tag}s$i" home="$dir/host$i"
    mkdir -p "$home"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$hub" link add "p$i" type veth peer name eth0 netns "$ns"
    ip -n "$hub" link set "p$i" master br0 up
    ip -n "$ns" addr add "10.231.0.1$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via 10.231.0.1
    # nsenter, not ip netns exec: that remounts /sys, hiding the cgroups dockerd needs.
    nsenter --net="/run/netns/$ns" dockerd --data-root "$home/data" --exec-root "$home/exec" --pidfile "$home/docker.pid" \
      -H "unix://$home/docker.sock" --bridge none --ip-masq=false >"$home/dockerd.log" 2>&1 &
  done
  for i in $(seq 1 "$n"); do
    local sock="unix://$dir/host$i/docker.sock"
    for _ in $(seq 1 150); do DOCKER_HOST=$sock docker info >/dev/null 2>&1 && break; sleep 0.2; done
    DOCKER_HOST=$sock docker info >/dev/null 2>&1 || { log "dockerd $i did not start:"; tail -20 "$dir/host$i/dockerd.log" >&2; exit 1; }
  done
  local started=$(date +%s%N)
  local loads=()
  for i in $(seq 1 "$n"); do DOCKER_HOST="unix://$dir/host$i/docker.sock" docker load -q -i "$dir/image.tar" >/dev/null & loads+=($!); done
  wait "${loads[@]}"  # not the daemons
  log "loaded $image into $n daemons in $(( ($(date +%s%N) - started) / 1000000 )) ms"
  rm -f "$dir/image.tar"
  for i in $(seq 1 "$n"); do echo "csf${tag}s$i 10.231.0.1$i unix://$dir/host$i/docker.sock"; done
}

case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  *) echo "usage: $0 up|down DIR TAG N [IMAGE]" >&2; exit 2 ;;
esac
