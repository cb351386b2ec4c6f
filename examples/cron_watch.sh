#!/usr/bin/env bash
# Run a watchlist from cron and act on its exit status, e.g. every weekday at 07:30:
#
#   30 7 * * 1-5  /path/to/examples/cron_watch.sh /path/to/watchlist.toml >> ~/thesis-watch.log 2>&1
#
# `thesis watch` exits 0 when nothing fired, 3 when alerts fired, 1 or 2 on errors.
# Settings (environment): THESIS (the command, default `thesis`), THESIS_STATE (snapshot
# folder, default: next to the watchlist), THESIS_NOTIFY (a command that reads the report
# on stdin, e.g. 'mail -s "thesis alerts" me@example.com'; default: print it).
set -u

watchlist="${1:-$(dirname "$0")/watchlist.toml}"
thesis="${THESIS:-thesis}"
notify="${THESIS_NOTIFY:-cat}"
state_args=()
if [ -n "${THESIS_STATE:-}" ]; then state_args=(--state "$THESIS_STATE"); fi

report="$(mktemp)"
trap 'rm -f "$report"' EXIT

"$thesis" watch "$watchlist" ${state_args[@]+"${state_args[@]}"} > "$report"
status=$?
stamp="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

case "$status" in
    0) echo "$stamp $watchlist: no alerts" ;;
    3) echo "$stamp $watchlist: alerts fired"
       sh -c "$notify" < "$report" ;;
    *) echo "$stamp $watchlist: thesis watch failed (exit $status); the last snapshot is kept" >&2 ;;
esac
# Alerts are the job doing its work, not a failure; only errors make cron report one.
[ "$status" -eq 3 ] && exit 0
exit "$status"
