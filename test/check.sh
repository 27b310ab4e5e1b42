#!/usr/bin/env bash
# Command 2: set everything up on a fresh machine and run the whole test suite:
# standalone unit tests (ASan/UBSan), the mock server's self-test, the
# pg_regress suite against a scratch cluster and the mock, the shell tests
# that need several sessions or timing (concurrency, cancellation, memory,
# pg_cron, paging shifts), the fault-injection campaign, and bounded fuzzing.
# FUZZ_SECONDS (default 60) bounds each fuzzer; 0 skips fuzzing.
source "$(dirname "$0")/lib/env.sh"
setup_all

failed=()
step() {
	local name=$1; shift
	log "$name"
	if "$@"; then log "$name: ok"; else log "$name: FAILED"; failed+=("$name"); fi
}

regress() {
	rm -rf "$ARXIV_TOP/test/regress-out"
	if ! make -C "$ARXIV_TOP" -s installcheck; then
		cat "$ARXIV_TOP/test/regress-out/regression.diffs" >&2 || true
		return 1
	fi
}

shell_tests() {
	local rc=0
	for t in "$ARXIV_TOP"/test/shell/*.sh; do
		[ -e "$t" ] || continue
		log "  $(basename "$t")"
		bash "$t" || rc=1
	done
	return $rc
}

step "unit tests (ASan, UBSan)" make -C "$ARXIV_TOP/test/unit" -s check
step "mock server self-test" python3 "$ARXIV_TOP/test/mock/test_mock.py"
step "pg_regress" regress
step "shell tests" shell_tests
step "fault campaign" bash "$ARXIV_TOP/test/fault/run.sh"
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
	step "fuzzing" make -C "$ARXIV_TOP/test/unit" -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
fi

if [ ${#failed[@]} -gt 0 ]; then
	log "FAILED: ${failed[*]}"
	exit 1
fi
log "all tests passed"
