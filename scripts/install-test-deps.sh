#!/bin/sh
# Installs the Debian packages the integration tests run: the distribution 2.8 registry
# (docker-registry), htpasswd for its bcrypt file (apache2-utils), the zstd CLI for zstd layers,
# openssl for the token server's signing certificate, and for the OpenSCAP parity test the
# `oscap` evaluator (openscap-scanner), rpm (whose librpm reads the RHEL BerkeleyDB) and
# xz-utils (tar unpacks the rpm database fixture with it); headless chromium opens the rendered
# report. Safe to run again: packages already
# present are left alone and apt-get is only called when something is missing.
set -eu

PACKAGES="docker-registry apache2-utils zstd openssl openscap-scanner rpm xz-utils chromium"

missing=""
for package in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $package"
  fi
done

if [ -z "$missing" ]; then
  echo "test dependencies present: $PACKAGES"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

echo "installing:$missing"
$SUDO apt-get update
# shellcheck disable=SC2086 # the package list is meant to split into words
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing

