#!/usr/bin/env bash
# Memory: 1000 queries in ONE session leave the backend's memory flat.
#
# One psql session runs 1000 queries, alternating an id lookup (one request)
# and a category scan of 82 rows with page_size 50 (two requests, every
# column converted); every 10th query is instead a failing one (the mock
# answers a non-Atom body, max_retries 0), so that the error path (curl
# handles, the libxml2 parser, the page context released by the ERROR) is
# exercised 100 times too.  Phase "network": the response cache is off
# (cache_ttl 0), every query goes through libcurl and libxml2.  Phase
# "cache": the same with cache_ttl 3600 in a new session, so that all but the
# first of each query are answered from the response cache files.
#
# Sampled after query 100, 500 and 1000, from /proc/<pid>/status of the
# backend (pid from pg_backend_pid()): VmRSS, and RssAnon (private memory:
# palloc and malloc - libcurl's and libxml2's own allocations - without the
# shared buffers that VmRSS also counts as they are touched); and the total
# of pg_backend_memory_contexts.
#
# Threshold: growth between query 100 and 1000 < 5 MB of RssAnon and < 1 MB of
# memory contexts.  The first 100 queries warm the caches (catalog, plan,
# libcurl's global state, glibc's arenas); after that a query keeps at most
# one page (50 rows, ~150 kB) alive, freed at its end.  A leak of even 6 kB per
# query (one Atom entry's strings, a curl handle, a parser) would add > 5 MB
# over the 900 queries, while allocator noise (glibc keeps freed blocks,
# fragmentation) stays around 1-2 MB.
source "$(dirname "$0")/lib/common.bash"

N=${N:-1000}
t_db arxiv_t_memory "request_interval '0', max_retries '0', cache_ttl '0'" ||
	{ t_fail "could not create the test database"; t_finish; }
t_psql >/dev/null <<SQL || t_fail "set-up"
ALTER FOREIGN TABLE papers OPTIONS (ADD page_size '50');
CREATE SERVER arxiv_cached FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url '$ARXIV_MOCK_URL', request_interval '0', max_retries '0', cache_ttl '3600');
CREATE SCHEMA cached;
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv_cached INTO cached;
ALTER FOREIGN TABLE cached.papers OPTIONS (ADD page_size '50');
SQL

script=$(mktemp)
out=$(mktemp)
trap 't_cleanup; rm -f "$script" "$out" "$out.err"' EXIT

# run_phase NAME TABLE
run_phase() {
	local name=$1 table=$2 i start elapsed rc errors other_errors requests
	{
		echo "SET timezone = 'UTC';"
		echo "\\o /dev/null"
		for i in $(seq 1 "$N"); do
			if [ $((i % 10)) = 0 ]; then
				echo "SELECT * FROM $table WHERE id = '0704.0036';"
			elif [ $((i % 2)) = 1 ]; then
				echo "SELECT * FROM $table WHERE id = '2605.09735';"
			else
				echo "SELECT * FROM $table WHERE category = 'cs.OS' AND published >= '2026-04-01';"
			fi
			case $i in
			100 | 500 | "$N")
				cat <<SQL
SELECT $i AS n, pg_backend_pid() AS pid,
       (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmRSS:\s+(\d+)'))[1] AS rss,
       (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'RssAnon:\s+(\d+)'))[1] AS anon,
       (SELECT (sum(total_bytes) / 1024)::bigint FROM pg_backend_memory_contexts) AS ctx \gset
\echo SAMPLE :n :pid :rss :anon :ctx
SQL
				;;
			esac
		done
	} >"$script"

	mockctl reset
	# a non-Atom body for every request about this id, until the mock is reset
	mockctl fault '{"kind": "non_xml", "count": 0, "match": "0704.0036"}'
	start=$(date +%s.%N)
	psql -X -q -d "$T_DB" -f "$script" >"$out" 2>"$out.err"
	rc=$?
	elapsed=$(echo "$(date +%s.%N) - $start" | bc)
	errors=$(grep -c "ERROR" "$out.err")
	# the intended failures: the fixed message, the cause in the detail
	other_errors=$((errors - $(grep -c "DETAIL:  The response is not a valid Atom feed" "$out.err")))
	[ $rc = 0 ] || t_fail "$name: psql exited with $rc"
	requests=$(mockctl count | awk '{print $2}')
	printf '%s: %d queries in one session in %.1f s, %s requests, %d failed as intended\n' \
		"$name" "$N" "$elapsed" "$requests" "$errors"
	printf '  %-8s %-8s %12s %12s %14s\n' query pid "VmRSS kB" "RssAnon kB" "contexts kB"
	awk '/^SAMPLE/ {printf "  %-8s %-8s %12s %12s %14s\n", $2, $3, $4, $5, $6}' "$out"

	local pid100 rss100 anon100 ctx100 pidN rssN anonN ctxN
	read -r _ _ pid100 rss100 anon100 ctx100 < <(grep "^SAMPLE 100 " "$out")
	read -r _ _ pidN rssN anonN ctxN < <(grep "^SAMPLE $N " "$out")
	if [ -z "${anonN:-}" ] || [ -z "${anon100:-}" ]; then
		t_fail "$name: missing samples"
		return
	fi
	[ "$pid100" = "$pidN" ] || t_fail "$name: the backend changed (pid $pid100 -> $pidN): a crash?"
	[ "$errors" -eq $((N / 10)) ] || t_fail "$name: expected $((N / 10)) failed queries, got $errors"
	[ "$other_errors" -eq 0 ] || t_fail "$name: $other_errors unexpected errors"
	printf '  growth 100 -> %d: VmRSS %+d kB, RssAnon %+d kB (limit 5120), contexts %+d kB (limit 1024)\n' \
		"$N" $((rssN - rss100)) $((anonN - anon100)) $((ctxN - ctx100))
	[ $((anonN - anon100)) -lt 5120 ] ||
		t_fail "$name: RssAnon grew by $((anonN - anon100)) kB between query 100 and $N"
	[ $((ctxN - ctx100)) -lt 1024 ] ||
		t_fail "$name: memory contexts grew by $((ctxN - ctx100)) kB between query 100 and $N"
}

run_phase network papers
clear=$(t_psql -At -c "SELECT p.oid::regproc FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
  JOIN pg_extension e ON e.oid = d.refobjid AND d.deptype = 'e'
  WHERE e.extname = 'arxiv_fdw' AND p.proname = 'clear_cache'")
[ -n "$clear" ] && t_psql -c "SELECT $clear()" >/dev/null
run_phase cache cached.papers
t_finish
