# Ruby: Debian's ruby (with gem) and bundler. Gems install into the workspace
# (vendor/bundle), since the image's own gem folders are read-only in a sandbox.
ARG ROOT=code-sandbox/debian:trixie
FROM ${ROOT}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ruby bundler git >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && ruby --version && bundle --version
ENV BUNDLE_PATH=vendor/bundle
