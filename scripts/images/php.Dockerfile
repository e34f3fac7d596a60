# PHP: Debian's php-cli and composer.
ARG ROOT=code-sandbox/debian:trixie
FROM ${ROOT}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends php-cli composer unzip git >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && php --version && composer --version
