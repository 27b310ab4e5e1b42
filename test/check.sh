#!/usr/bin/env bash
# Command 2: set everything up on a fresh machine and run the whole test suite:
# standalone unit tests (ASan/UBSan), the mock server's self-test, the
# pg_regress suite against a scratch cluster and the mock, the shell tests
# that need several sessions or timing (concurrency, cancellation, memory,
# pg_cron, paging shifts), the fault-injection campaign, the differential
# test of pushdown (test/diff), and bounded fuzzing.
# FUZZ_SECONDS (default 60) bounds each fuzzer; 0 skips fuzzing.
#
# Each step's whole output goes to $ARXIV_WORK/check-logs/<step>.log; the
# console shows each step's result lines (test counts, failures), the whole
# log of a failed step, and a TAP summary at the end, so the verdict is the
# last thing printed.
source "$(dirname "$0")/lib/env.sh"
setup_all

LOGDIR=$ARXIV_WORK/check-logs
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

names=()
verdicts=()
failures=0

# step NAME PATTERN COMMAND...: run COMMAND, show the lines of its output
# that match PATTERN (its own result lines), record ok / not ok
step() {
	local name=$1 pattern=$2
	shift 2
	local logf
	logf="$LOGDIR/$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_').log"
	log "$name"
	names+=("$name")
	if "$@" >"$logf" 2>&1; then
		verdicts+=("ok")
		grep -E -- "$pattern" "$logf" | sed 's/^/    /' >&2 || true
	else
		verdicts+=("not ok")
		failures=$((failures + 1))
		grep -E -- "$pattern" "$logf" | sed 's/^/    /' >&2 || true
		log "$name: FAILED; the end of its output ($logf):"
		tail -n 400 "$logf" >&2
	fi
}

regress() {
	rm -rf "$ARXIV_TOP/test/regress-out"
	if ! make -C "$ARXIV_TOP" -s installcheck; then
		cat "$ARXIV_TOP/test/regress-out/regression.diffs" || true
		return 1
	fi
}

shell_tests() {
	local rc=0
	for t in "$ARXIV_TOP"/test/shell/*.sh; do
		[ -e "$t" ] || continue
		echo "== $(basename "$t")"
		bash "$t" || rc=1
	done
	return $rc
}

step "unit tests (ASan, UBSan)" ': [0-9]+ checks' \
	make -C "$ARXIV_TOP/test/unit" -s check
step "mock server self-test" '^(Ran [0-9]+ tests|OK|FAILED)' \
	python3 "$ARXIV_TOP/test/mock/test_mock.py"
step "mock OAI-PMH endpoint self-test" '^(Ran [0-9]+ tests|OK|FAILED)' \
	python3 "$ARXIV_TOP/test/mock/test_oai_mock.py"
step "pg_regress" '^(test |ok |not ok )|tests (passed|failed)' regress
step "shell tests" '^[a-z_]+: (ok|FAIL|skipped)' shell_tests
step "fault campaign" '^(faults injected|queries run|wrong results|crashes|unclear errors|partial rows|hostile:|resume:)' \
	bash "$ARXIV_TOP/test/fault/run.sh"
step "differential test of pushdown" '^conditions: [0-9]+' \
	/usr/bin/python3 "$ARXIV_TOP/test/diff/pushdown_diff.py"
step "differential test of the OAI-PMH tables" '^(conditions: [0-9]+|seed)' \
	/usr/bin/python3 "$ARXIV_TOP/test/diff/oai_diff.py"
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
	step "fuzzing (libFuzzer, ${FUZZ_SECONDS:-60} s each)" '^(Done [0-9]+ runs|==[0-9]+==ERROR|SUMMARY)' \
		make -C "$ARXIV_TOP/test/unit" -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
fi

echo
echo "TAP version 13"
echo "1..${#names[@]}"
for i in "${!names[@]}"; do
	echo "${verdicts[$i]} $((i + 1)) - ${names[$i]}"
done
echo "# logs: $LOGDIR"
if [ "$failures" -gt 0 ]; then
	echo "# $failures of ${#names[@]} test steps FAILED"
	exit 1
fi
echo "# all ${#names[@]} test steps passed"
