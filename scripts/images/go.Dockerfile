# Go: Debian's toolchain. GOTOOLCHAIN=local: a go.mod asking for a newer Go says so
# instead of trying to download one.
ARG ROOT=code-sandbox/debian:trixie
FROM ${ROOT}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go git >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && go version
ENV GOTOOLCHAIN=local
# Common standard packages (fmt, encoding/json and what they import) compiled once,
# here, and a `go` that seeds each session's build cache ($HOME, a tmpfs) with them on
# first use: the first `go run` of a hello world then compiles only the example
# (1-2 s, not 20 s compiling the runtime), and later runs reuse the session's cache.
RUN GOCACHE=/usr/local/share/go-build-seed go build fmt encoding/json \
 && chmod -R a+rX /usr/local/share/go-build-seed \
 && printf '%s\n' '#!/bin/sh' \
      'cache="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/go-build}"' \
      '[ -e "$cache" ] || { mkdir -p "${cache%/*}" && cp -r /usr/local/share/go-build-seed "$cache"; } 2>/dev/null' \
      'exec /usr/lib/go/bin/go "$@"' >/usr/local/bin/go \
 && chmod 755 /usr/local/bin/go
