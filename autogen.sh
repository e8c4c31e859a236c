#!/bin/sh
#   Regenerate the build system: configure, Makefile.in and friends
set -e
cd "$(dirname "$0")"
mkdir -p config
autoreconf --install --force
