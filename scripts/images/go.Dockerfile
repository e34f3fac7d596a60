# Go: Debian's toolchain. GOTOOLCHAIN=local: a go.mod asking for a newer Go says so
# instead of trying to download one.
ARG ROOT=code-sandbox/debian:trixie
FROM ${ROOT}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go git >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && go version
ENV GOTOOLCHAIN=local
