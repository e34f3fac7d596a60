# The code-sandbox-server image that deploy/kubernetes and deploy/compose run: the
# npm package on Debian's Node.js, iptables for the sandbox firewall, the sandbox
# agent built from the package's Go sources, and the sandboxes' seccomp profile
# (Docker's default without ptrace). The sandbox images are not in it: they live in
# the Docker Engine the server drives. Built from the package's tarball:
#
#   npm run build && npm pack --pack-destination deploy
#   docker build -f deploy/server.Dockerfile -t code-sandbox/server:0.1.0 deploy
#
# BASE is any Debian trixie image (on a machine with no image registry, the root
# image scripts/setup.sh imports: --build-arg BASE=code-sandbox/debian:trixie).
ARG BASE=debian:trixie-slim

FROM ${BASE} AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go nodejs ca-certificates >/dev/null
COPY code-sandbox-*.tgz /tmp/
RUN mkdir /pkg /out && tar -xzf /tmp/code-sandbox-*.tgz -C /pkg --strip-components=1
RUN cd /pkg/agent && CGO_ENABLED=0 GOPROXY=off GOFLAGS= go build -trimpath -ldflags='-s -w' -o /out/code-sandbox-agent .
# Docker's default profile, from Debian's package of Docker's sources, less ptrace (as scripts/setup.sh does).
RUN cd /tmp && apt-get download -qq -o APT::Sandbox::User=root golang-github-docker-docker-dev \
 && dpkg-deb -x golang-github-docker-docker-dev_*.deb /tmp/docker-src \
 && node /pkg/scripts/seccomp-profile.mjs \
      /tmp/docker-src/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json /out/seccomp.json

FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm iptables ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
COPY code-sandbox-*.tgz /tmp/
RUN npm install --global --omit=dev --no-audit --no-fund /tmp/code-sandbox-*.tgz \
 && rm /tmp/code-sandbox-*.tgz && npm cache clean --force
COPY --from=build /out/code-sandbox-agent /usr/local/lib/code-sandbox/code-sandbox-agent
COPY --from=build /out/seccomp.json /etc/code-sandbox/seccomp.json
COPY server-entrypoint.sh /usr/local/bin/code-sandbox-entrypoint
EXPOSE 8787
ENTRYPOINT ["/usr/local/bin/code-sandbox-entrypoint"]
CMD ["--host=0.0.0.0"]
