#!/bin/sh
# The server image's entrypoint: a fleet's servers must share one signing key, so
# refuse to start without a real CODE_SANDBOX_SECRET (missing, short, or the
# placeholder of deploy/kubernetes/secret.yaml), then run code-sandbox-server with
# the container's arguments.
set -eu
refuse() {
  echo "code-sandbox-server: CODE_SANDBOX_SECRET $1. Every server of a fleet needs the same random key of 32 characters or more: make one with \`openssl rand -hex 32\` and put it in the Secret (docs/scaling.md)." >&2
  exit 64
}
secret="${CODE_SANDBOX_SECRET:-}"
case "$secret" in
  '') refuse 'is not set' ;;
  REPLACE-ME*) refuse 'is still the placeholder from deploy/kubernetes/secret.yaml' ;;
esac
[ "${#secret}" -ge 32 ] || refuse "is ${#secret} characters long"
exec code-sandbox-server "$@"
