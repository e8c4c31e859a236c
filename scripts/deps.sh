#!/usr/bin/env bash
#   Install the Debian packages zynamo builds and tests with, if missing.
#   Run as root on Debian 12 (as the README's Quick start does).
set -euo pipefail
packages=(build-essential autoconf automake libtool pkg-config
    libzmq3-dev libczmq-dev libleveldb-dev libmsgpack-dev check
    libsodium-dev libjansson-dev libjemalloc-dev
    python3 python3-pytest python3-boto3 awscli clang libclang-rt-14-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
