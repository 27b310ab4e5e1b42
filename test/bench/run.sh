#!/usr/bin/env bash
# arxiv_fdw performance benchmark (GitHub issues 6 and 13):
#
#	bash test/bench/run.sh
#
# Sets up its own scratch PostgreSQL 15 cluster and mock arXiv API (through
# test/lib/env.sh, on ports of its own so that it neither disturbs nor is
# disturbed by the test suite's cluster and mock), builds the standalone
# parser benchmark, runs the six measurements of test/bench/bench.py and
# prints a Markdown report, also written to test/bench/results-latest.md.
# Idempotent: the benchmark database is dropped and recreated each run.
# About 7 minutes.
#
# Environment: BENCH_ARXIV_WORK (default /tmp/arxiv_fdw_bench), BENCH_PGPORT
# (54361), BENCH_MOCK_PORT (18161), BENCH_REPLAY_PORT (18162); BENCH_KEEP=1
# leaves the cluster and the mock running afterwards; BENCH_PARTS="6" runs
# only the parts listed (1-6; see bench.py).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

export ARXIV_WORK=${BENCH_ARXIV_WORK:-/tmp/arxiv_fdw_bench}
export PGPORT=${BENCH_PGPORT:-54361}
export MOCK_PORT=${BENCH_MOCK_PORT:-18161}
export BENCH_REPLAY_PORT=${BENCH_REPLAY_PORT:-18162}
# the corpus and window the figures below assume (the mock's defaults)
export MOCK_ARGS="--corpus-size 60000 --window 10000 --min-interval 0"
# shellcheck source=../lib/env.sh
source "$BENCH_DIR/../lib/env.sh"

port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
mock_is_ours() {
	[ -f "$ARXIV_WORK/mock.pid" ] && kill -0 "$(cat "$ARXIV_WORK/mock.pid")" 2>/dev/null
}
if ! mock_is_ours && port_busy "$MOCK_PORT"; then
	log "port $MOCK_PORT is taken by another program: set BENCH_MOCK_PORT"
	exit 1
fi
if port_busy "$BENCH_REPLAY_PORT"; then
	if [ -f "$ARXIV_WORK/bench/replay.pid" ]; then
		# a replaying mock (bench.py) left by an interrupted run of ours
		kill "$(cat "$ARXIV_WORK/bench/replay.pid")" 2>/dev/null || true
		sleep 1
	fi
	if port_busy "$BENCH_REPLAY_PORT"; then
		log "port $BENCH_REPLAY_PORT is taken by another program: set BENCH_REPLAY_PORT"
		exit 1
	fi
fi

setup_all

export BENCH_WORK=$ARXIV_WORK/bench
export BENCH_PARSE_BIN=$BENCH_WORK/parse_bench
export BENCH_RESULTS=$BENCH_DIR/results-latest.md
mkdir -p "$BENCH_WORK"

cleanup() {
	if [ -f "$BENCH_WORK/replay.pid" ]; then
		kill "$(cat "$BENCH_WORK/replay.pid")" 2>/dev/null || true
		rm -f "$BENCH_WORK/replay.pid"
	fi
	if [ "${BENCH_KEEP:-0}" != 1 ]; then
		stop_mock
		stop_cluster
	fi
}
trap cleanup EXIT

log "building the parser benchmark"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -Werror -I"$ARXIV_TOP/src" $(xml2-config --cflags) \
	-o "$BENCH_PARSE_BIN" "$BENCH_DIR/parse_bench.c" "$ARXIV_TOP/src/atom.c" \
	"$ARXIV_TOP/src/oai.c" "$ARXIV_TOP/src/sax_common.c" "$ARXIV_TOP/src/arxiv_id.c" \
	$(xml2-config --libs)

# the corpus as the mock started it
python3 "$ARXIV_TOP/test/mock/mockctl" reset

/usr/bin/python3 "$BENCH_DIR/bench.py"
