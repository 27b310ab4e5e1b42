#!/usr/bin/env bash
# Differential test of pushdown: sets up (build, cluster, mock) like the
# other tests, then runs pushdown_diff.py with the arguments given
# (--seed S, -n N, --repro K, --only SQL [--local SQL], -v; see README.md).
source "$(dirname "$0")/../lib/env.sh"
setup_all
exec /usr/bin/python3 "$ARXIV_TOP/test/diff/pushdown_diff.py" "$@"
