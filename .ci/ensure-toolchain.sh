#!/usr/bin/env bash
# Makes the toolchain pinned in rust-toolchain.toml available to rustup, without a download
# when possible:
#   1. already installed (`rustup toolchain list`): nothing to do;
#   2. rustup's "stable" is exactly that release: register it under the pinned name (a link in
#      rustup's toolchains directory; `rustup toolchain link` refuses names that look like a
#      release), so machines without access to the Rust distribution servers build with it;
#   3. otherwise `rustup toolchain install` it (needs the network).
# Any cargo command run in this repository before this fails with "toolchain ... is not
# installed" on such a machine. Idempotent. Usage: .ci/ensure-toolchain.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
channel="$(sed -n 's/^channel *= *"\(.*\)"$/\1/p' "$root/rust-toolchain.toml")"
[[ -n "$channel" ]] || { echo "ensure-toolchain: no channel in rust-toolchain.toml" >&2; exit 1; }
command -v rustup >/dev/null 2>&1 || { echo "ensure-toolchain: rustup not found" >&2; exit 1; }

if rustup toolchain list | grep -q "^$channel-"; then
    echo "ensure-toolchain: $channel is installed"
    exit 0
fi
# Outside the repository, so rust-toolchain.toml does not pick the (missing) pinned toolchain.
stable_version="$(cd / && rustc +stable --version 2>/dev/null | awk '{print $2}')" || stable_version=""
if [[ "$stable_version" == "$channel" ]]; then
    sysroot="$(cd / && rustc +stable --print sysroot)"
    host="$(cd / && rustc +stable -vV | sed -n 's/^host: //p')"
    toolchains="${RUSTUP_HOME:-$HOME/.rustup}/toolchains"
    ln -sfn "$sysroot" "$toolchains/$channel-$host"
    echo "ensure-toolchain: registered stable ($stable_version, $sysroot) as $channel-$host"
    exit 0
fi
echo "ensure-toolchain: stable is ${stable_version:-absent}, not $channel: installing $channel"
rustup toolchain install "$channel" --profile minimal --component rustfmt,clippy
