#!/usr/bin/env bash
# Prints the extra time of the first record_click in a fresh backend over the second, in ms:
# what building the bot patterns and User-Agent parsers costs a backend (nothing when the
# postmaster preloaded shortlink). Median of 7 fresh connections.
#   bench/first_click.sh PSQL_ARGS...
set -euo pipefail
ua='Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1'
for _ in $(seq 7); do
    "$@" -X -q -At -v ON_ERROR_STOP=1 \
        -c '\timing on' \
        -c "SELECT status FROM shortlink.record_click('bench-viral', ip => '203.0.113.9', user_agent => '$ua')" \
        -c "SELECT status FROM shortlink.record_click('bench-viral', ip => '203.0.113.9', user_agent => '$ua')" |
        sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste -sd' ' | awk '{printf "%.3f\n", $1 - $2}'
done | sort -n | sed -n 4p
