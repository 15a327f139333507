#!/usr/bin/env bash
# The RSA-2048 backends side by side: ring, aws-lc-rs and the system OpenSSL
# (through the `openssl` crate), each signing and verifying PKCS#1 v1.5
# SHA-256 with the TEST keys (bench/backends), next to `openssl speed rsa2048`
# on one process and on two (`-multi 2`), the ceiling of this machine.
#
#   bash bench/rsa_backends.sh         # REPS=5 SIGN_SECONDS=2
#
# Each repetition measures every backend and `openssl speed` once per thread
# count, in an order rotated from one repetition to the next; the report
# divides within a repetition. Results go to
# bench/.work/results/rsa_backends.jsonl. bench/backends is a workspace of
# its own, so ring and the `openssl` crate never reach the shipped build.
source "$(dirname "$0")/lib.sh"

REPS="${REPS:-5}"
SIGN_SECONDS="${SIGN_SECONDS:-2}"
OUT="$RESULTS/rsa_backends.jsonl"
BACKENDS_BIN="$BENCH/backends/target/release/rsa-backends"

# The `openssl` crate links the system library through pkg-config.
if ! dpkg -s libssl-dev >/dev/null 2>&1 || ! command -v pkg-config >/dev/null; then
    echo "installing libssl-dev and pkg-config from Debian (bench/backends only)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq libssl-dev pkg-config >/dev/null
fi
command -v openssl >/dev/null || ensure_apt openssl
if [ "${SKIP_BUILD:-}" != 1 ]; then
    echo "building bench/backends" >&2
    cargo build --release --locked --quiet --manifest-path "$BENCH/backends/Cargo.toml"
fi
: >"$OUT"

echo "openssl: $(openssl version)" >&2
targets=(openssl_speed ring aws-lc-rs openssl)
for rep in $(seq "$REPS"); do
    for threads in 1 2; do
        n=${#targets[@]}
        for i in $(seq 0 $((n - 1))); do
            target=${targets[$(((i + rep) % n))]}
            if [ "$target" = openssl_speed ]; then
                result=$(openssl_speed "$threads")
            else
                result=$("$BACKENDS_BIN" --backend "$target" --threads "$threads" \
                    --seconds "$SIGN_SECONDS")
            fi
            echo "{\"rep\":$rep,\"threads\":$threads,\"target\":\"$target\",\"result\":$result}" >>"$OUT"
            printf 'rep %s threads %s %-13s %s\n' "$rep" "$threads" "$target" "$result" >&2
        done
    done
done
echo "{\"target\":\"settings\",\"result\":{\"reps\":$REPS,\"seconds\":$SIGN_SECONDS,\"openssl\":\"$(openssl version)\"}}" >>"$OUT"
echo "wrote $OUT" >&2
