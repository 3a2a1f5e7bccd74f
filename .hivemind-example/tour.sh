#!/usr/bin/env bash
# A tour of hive on three small agent sessions: init, append, commit, runs, log, show, fsck.
#
#   ./.hivemind-example/tour.sh            # builds hive with cargo, then runs the tour in a new temporary project
#   HIVE=/path/to/hive ./tour.sh           # uses that hive binary instead
#
# The tour pins the clock and the author, so the ids it prints are the same on every machine.
set -euo pipefail

example="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -z "${HIVE:-}" ]; then
  cargo build --quiet --manifest-path "$example/../Cargo.toml"
  HIVE="${CARGO_TARGET_DIR:-$example/../target}/debug/hive"
fi
project="$(mktemp -d "${TMPDIR:-/tmp}/hive-tour.XXXXXX")"
cp "$example/.hivemind" "$project/.hivemind"
cd "$project"

export HIVE_AUTHOR="Ada Example <ada@example.com>"
export HIVE_TIMESTAMP="2026-03-02T10:00:00Z"
export HIVE_NO_CODE_CONTEXT=1
unset HIVE_DIR HIVE_RUN

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
quoted() { local word out=""; for word in "$@"; do case "$word" in *[[:space:]]*) out+=" \"$word\"" ;; *) out+=" $word" ;; esac; done; printf '%s' "${out# }"; }
step() { printf '\n%s$ %s%s\n' "$bold" "$(quoted "$@")" "$plain"; "$@"; }
hive() { "$HIVE" "$@"; }

echo "A project with a .hivemind file, in $project"
step hive init
step hive append --run fix-login "$example/sessions/fix-login.jsonl"
step hive append --run fix-login-retry "$example/sessions/fix-login-retry.jsonl"
step hive runs
step hive commit -m "first attempt at the login bug"
step hive append --run fix-login "$example/sessions/followup.jsonl"
step hive commit --run fix-login -m "follow-up: empty password test"
step hive runs
step hive log --oneline
step hive log fix-login
step hive show fix-login~1
step hive show fix-login@6
step hive cat-file -p fix-login@4
step hive rev-parse fix-login fix-login@0
step hive cat-file -t fix-login
step hive fsck
step hive gc --prune now
step hive fsck
echo
echo "Done. The repository is in $project/.hive; try: cd $project && $HIVE show fix-login-retry"
