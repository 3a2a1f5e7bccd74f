#!/usr/bin/env bash
# A tour of hive on small agent sessions: init, append, commit, runs, log, show, replay, fork, diff, tag, rate,
# status, search; memory in workspaces, promote, merge; rm, fsck, gc; then capture: importing a Claude Code transcript (with a
# secret that is masked), exporting it back, and live capture through the hooks; then sharing with a teammate through a
# path remote and through hive serve with scoped tokens.
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
step hive replay fix-login --from 3 --to 6
step hive fork fix-login@6 fix-login-alt
step hive diff fix-login fix-login-retry --stat
step hive tag fix-login reviewed
step hive rate fix-login 4
step hive search '"salt"' -n 3
step hive search 'tool:Bash test' --runs
step hive index status
step hive status fix-login-alt abandoned
step hive runs --min-rating 4

echo
echo "Memory: what agents learned, in workspaces that inherit and promote."
step hive memory set test.command "cargo test -p auth" --tag build
step hive workspace create alice --inherit login-service
step hive memory set test.command "cargo nextest run -p auth" --tag build -w alice
step hive memory set scratch "alice's notes" -w alice
step hive workspace list
step hive promote --from alice --tag build
step hive memory list
step hive merge --from alice --to login-service --dry-run
step hive rm fix-login-alt --purge
step hive cat-file -t fix-login
step hive fsck
step hive gc --prune now
step hive fsck

echo
echo "Capture: agents' own files, masked before they are stored."
claude="$example/sessions/claude"
session="5b1c0a2e-7d4f-4e8a-9c31-0f6a2b8d9e10"
step hive import "$claude"
step hive show "_-home-ada-login-service/$session@2"
step hive export "_-home-ada-login-service/$session"

echo
echo "Live capture: hooks in this project's .claude/settings.json; each hook stages, Stop brings the transcript in."
step hive connect claude-code
live="$project/.claude/projects/-home-ada-live"
mkdir -p "$live"
head -n 3 "$claude/-home-ada-login-service/$session.jsonl" > "$live/live-1.jsonl"
payload() { printf '{"hook_event_name":"%s","session_id":"live-1","transcript_path":"%s","cwd":"%s"%s}' "$1" "$live/live-1.jsonl" "$project" "${2:-}"; }
payload UserPromptSubmit ',"prompt":"Add rate limiting to POST /login."' | step hive hook claude-code
payload PostToolUse ',"tool_name":"Grep","tool_use_id":"toolu_01","tool_input":{"pattern":"fn login"},"tool_response":"src/auth.rs:12"' | step hive hook claude-code
step hive runs
tail -n 2 "$claude/-home-ada-login-service/$session.jsonl" >> "$live/live-1.jsonl"
payload Stop | step hive hook claude-code
step hive runs
step hive disconnect claude-code

echo
echo "Sharing: a teammate, Bob, through a shared folder, then through hive serve with scoped tokens."
team="$project/team"
step hive remote add origin "$team/login.hive"
step hive push
step hive clone "$team/login.hive" "$team/bob"
( cd "$team/bob"
  export HIVE_AUTHOR="Bob Example <bob@example.com>"
  step hive append --run fix-login-retry "$example/sessions/followup.jsonl"
  step hive commit --run fix-login-retry -m "bob: the empty password case"
  step hive push origin fix-login-retry )
step hive pull
step hive log fix-login-retry --oneline
printf '\n%s$ hive token create --root %s --name ada --grant admin:login > ada.token%s\n' "$bold" "$team/server" "$plain"
hive token create --root "$team/server" --name ada --grant admin:login > "$team/ada.token"
printf '\n%s$ hive token create --root %s --name bob --grant read:login --grant write:login:bob/ > bob.token%s\n' "$bold" "$team/server" "$plain"
hive token create --root "$team/server" --name bob --grant read:login --grant write:login:bob/ > "$team/bob.token"
step hive token list --root "$team/server"
"$HIVE" serve --root "$team/server" --addr 127.0.0.1:0 > "$team/url" 2> "$team/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$team/url" ] && break; sleep 0.1; done
url="$(cat "$team/url")/login"
step hive remote add server "$url" --token "$(cat "$team/ada.token")"
step hive push server
( cd "$team/bob"
  export HIVE_AUTHOR="Bob Example <bob@example.com>" HIVE_TOKEN="$(cat "$team/bob.token")"
  step hive remote add server "$url"
  step hive fetch server
  step hive fork remotes/server/runs/fix-login@6 bob/rate-limit
  step hive push server bob/rate-limit
  echo "(Bob's token writes only runs under bob/: his change to fix-login is refused.)"
  step hive commit --run fix-login "$example/sessions/followup.jsonl" -m "bob: a note"
  step hive push server fix-login || true )
step hive pull server
step hive runs
kill "$server"
wait "$server" 2>/dev/null || true
echo
echo "Done. The repository is in $project/.hive; try: cd $project && $HIVE show fix-login-retry"
