# Rust: Debian's rustc and cargo (and the C toolchain they link with).
ARG ROOT=code-sandbox/debian:trixie
FROM ${ROOT}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cargo rustc git >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && cargo --version && rustc --version
