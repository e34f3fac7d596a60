# The default image (node, python, shell): Node.js LTS (the official build, from the
# npm registry's node-linux-* package) with a current npm, Debian's Python with venv
# and pip, git, the build tools native npm modules and wheels need, procps (ps,
# kill, top: what readers type in the terminal), and Redis for
# examples with a database. setup.sh puts the Node and npm tarballs in the context.
ARG ROOT=code-sandbox/debian:trixie
FROM ${ROOT}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-venv python3-pip python3-dev git build-essential procps redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
COPY node.tgz npm.tgz /tmp/
RUN tar -xzf /tmp/node.tgz -C /usr/local --strip-components=1 package/bin package/include package/share \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm /tmp/node.tgz /tmp/npm.tgz \
 && node --version && npm --version && python3 --version
# The official build trusts only its own CA list; this makes it (and npm) trust the
# system's too, which holds any CA the machine's setup added (a proxy's, say). No npm
# update notices in the readers' terminals.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt NPM_CONFIG_UPDATE_NOTIFIER=false
