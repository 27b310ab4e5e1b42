#!/usr/bin/env bash
# Scheduled cache refreshes with pg_cron, end to end, in the database named by
# cron.database_name (postgres): two caches, each with a refresh scheduled
# every minute by arxiv_fdw.schedule_refresh():
#   - "os": incremental; the corpus gains four cs.OS papers first, so the run
#     must succeed (cron.job_run_details) and bring exactly those four rows;
#   - "dc": full, with every request for it failing (HTTP 503), so the run
#     must fail visibly in cron.job_run_details while cache_status keeps the
#     error and the cache keeps its rows (refresh_cache_job commits the
#     recorded error before raising it).
# Then unschedule_refresh() and drop_cache() must remove the jobs, and the
# drop trigger only the jobs of caches that were dropped; a role without
# USAGE on schema cron can read cache_status and drop its cache; a refresh
# queued behind another and a DROP TABLE of the cache do not deadlock.  Waits at
# most CRON_WAIT seconds (default 80) for pg_cron's next minute.  Everything
# lives in schema and server arxiv_t_cron and is dropped at exit, and the
# extensions are dropped again if this test created them, so it can be rerun.
source "$(dirname "$0")/lib/common.bash"

DB=$(psql -X -A -t -d postgres -c "SHOW cron.database_name" 2>/dev/null)
if [ -z "$DB" ]; then
	t_fail "pg_cron is not loaded: add pg_cron to shared_preload_libraries (test/lib/env.sh does)"
	t_finish
fi
CRON_WAIT=${CRON_WAIT:-80}
S=arxiv_t_cron

c_psql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
c_val() { psql -X -A -t -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

had_cron=$(c_val "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")
had_fdw=$(c_val "SELECT count(*) FROM pg_extension WHERE extname = 'arxiv_fdw'")

c_cleanup() {
	c_psql >/dev/null 2>&1 <<SQL
-- the drop trigger removes the caches' catalog rows and their jobs
DROP SCHEMA IF EXISTS $S CASCADE;
DROP SERVER IF EXISTS $S CASCADE;
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'arxiv_fdw %refresh $S.%';
DO \$\$
BEGIN
	IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'regress_arxiv_cronless') THEN
		DROP OWNED BY regress_arxiv_cronless;
		DROP ROLE regress_arxiv_cronless;
	END IF;
END
\$\$;
SQL
	[ "$had_fdw" = 0 ] && c_psql -c "DROP EXTENSION IF EXISTS arxiv_fdw CASCADE" >/dev/null 2>&1
	[ "$had_cron" = 0 ] && c_psql -c "DROP EXTENSION IF EXISTS pg_cron" >/dev/null 2>&1
	t_cleanup
}
trap c_cleanup EXIT

mockctl reset >/dev/null || { t_fail "the mock does not answer"; t_finish; }
c_psql >/dev/null <<SQL || { t_fail "could not set up the caches in database $DB"; t_finish; }
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS arxiv_fdw;
DROP SCHEMA IF EXISTS $S CASCADE;
DROP SERVER IF EXISTS $S CASCADE;
CREATE SCHEMA $S;
CREATE SERVER $S FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url '$ARXIV_MOCK_URL', request_interval '0', max_retries '1',
           cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER $S INTO $S;
SELECT arxiv_fdw.create_cache('$S.os', '$S.papers',
  \$\$category = 'cs.OS' AND published >= '2026-01-01'\$\$);
SELECT arxiv_fdw.create_cache('$S.dc', '$S.papers',
  \$\$category = 'cs.DC' AND published >= '2026-06-01'\$\$);
SQL
os_rows=$(c_val "SELECT count(*) FROM $S.os")
dc_rows=$(c_val "SELECT count(*) FROM $S.dc")
[ "$os_rows" -gt 0 ] && [ "$dc_rows" -gt 0 ] ||
	t_fail "the caches were created empty (os $os_rows, dc $dc_rows rows)"

# what the scheduled runs must find: four new papers for "os"; and every
# request for cs.DC fails (the "os" requests do not mention cs.DC)
mockctl corpus '{"add_new": 4, "categories": ["cs.OS"]}' >/dev/null
mockctl fault '{"kind": "status", "status": 503, "count": 0, "match": "cat:cs.DC"}' >/dev/null

# pg_cron connects to cron.host (default localhost, over TCP).  The scratch
# cluster listens on its unix socket only: send the jobs there.
listen=$(c_val "SHOW listen_addresses")
cron_host=$(c_val "SHOW cron.host")
if [ -z "$listen" ] && [ "${cron_host:0:1}" != / ]; then
	fix_host="UPDATE cron.job SET nodename = '$PGHOST' WHERE jobname LIKE 'arxiv_fdw %refresh $S.%';"
else
	fix_host=""
fi
jobs=$(c_psql -A -t <<SQL
BEGIN;
SELECT arxiv_fdw.schedule_refresh('$S.os', '* * * * *');
SELECT arxiv_fdw.schedule_refresh('$S.dc', '* * * * *', full => true);
$fix_host
COMMIT;
SQL
) || { t_fail "schedule_refresh failed"; t_finish; }
read -r os_job dc_job <<<"$(echo $jobs)"
echo "$T_NAME: scheduled jobs $os_job (incremental) and $dc_job (full); waiting for pg_cron's next minute"

schedule=$(c_val "SELECT string_agg(name || ': ' || schedule, '; ' ORDER BY name) FROM arxiv_fdw.cache_status WHERE name LIKE '$S.%'")
[ "$schedule" = "$S.dc: * * * * * (full); $S.os: * * * * *" ] ||
	t_fail "cache_status shows the schedules as \"$schedule\""
command=$(c_val "SELECT command FROM cron.job WHERE jobid = $os_job")
[ "$command" = "CALL arxiv_fdw.refresh_cache_job('$S.os')" ] ||
	t_fail "job $os_job runs \"$command\""

# wait until both jobs have finished a run
done_runs=0
for _ in $(seq 1 "$CRON_WAIT"); do
	done_runs=$(c_val "SELECT count(DISTINCT jobid) FROM cron.job_run_details
	                    WHERE jobid IN ($os_job, $dc_job) AND status IN ('succeeded', 'failed')")
	[ "$done_runs" = 2 ] && break
	sleep 1
done
if [ "$done_runs" != 2 ]; then
	t_fail "the scheduled refreshes did not both run within $CRON_WAIT s"
	c_psql -c "SELECT jobid, status, return_message FROM cron.job_run_details WHERE jobid IN ($os_job, $dc_job)" >&2
	t_finish
fi

# "os": the job succeeded and brought the four new papers
run=$(c_val "SELECT status || ' / ' || coalesce(return_message, '') FROM cron.job_run_details
              WHERE jobid = $os_job ORDER BY runid LIMIT 1")
[ "$run" = "succeeded / CALL" ] || t_fail "the incremental job's run: $run"
status=$(c_val "SELECT concat_ws(' ', last_refresh_kind, rows, last_inserted, last_updated,
                                 coalesce(last_error, 'no-error'))
                  FROM arxiv_fdw.cache_status WHERE name = '$S.os'")
[ "$status" = "incremental $((os_rows + 4)) 4 0 no-error" ] ||
	t_fail "cache_status of $S.os after the scheduled refresh: \"$status\" (expected \"incremental $((os_rows + 4)) 4 0 no-error\")"
new=$(c_val "SELECT count(*) FROM $S.os WHERE published > now() - interval '1 day'")
[ "$new" = 4 ] || t_fail "$S.os has $new papers from today, not 4"

# "dc": the job failed, the error is in cache_status, the rows are unchanged
run=$(c_val "SELECT status || ' / ' || coalesce(return_message, '') FROM cron.job_run_details
              WHERE jobid = $dc_job ORDER BY runid LIMIT 1")
case "$run" in
	"failed / ERROR:  could not fetch results from arXiv"*) ;;
	*) t_fail "the full job's run: $run" ;;
esac
status=$(c_val "SELECT concat_ws(' / ', rows, last_refresh_kind, last_error, last_error_time IS NOT NULL)
                  FROM arxiv_fdw.cache_status WHERE name = '$S.dc'")
# (cache_status keeps the message and, after a colon, the detail: the cause)
[ "$status" = "$dc_rows / create / could not fetch results from arXiv: The server answered with HTTP status 503. / t" ] ||
	t_fail "cache_status of $S.dc after the failed refresh: \"$status\""

# unscheduling, and dropping a cache, remove the jobs
n=$(c_val "SELECT arxiv_fdw.unschedule_refresh('$S.os')")
[ "$n" = 1 ] || t_fail "unschedule_refresh removed $n jobs"
c_val "SELECT arxiv_fdw.drop_cache('$S.dc')" >/dev/null || t_fail "drop_cache failed"
left=$(c_val "SELECT count(*) FROM cron.job WHERE jobid IN ($os_job, $dc_job)")
[ "$left" = 0 ] || t_fail "$left jobs are left after unschedule_refresh and drop_cache"
sched=$(c_val "SELECT coalesce(schedule, 'none') FROM arxiv_fdw.cache_status WHERE name = '$S.os'")
[ "$sched" = none ] || t_fail "cache_status still shows the schedule \"$sched\""
# a plain DROP TABLE takes the jobs along too
c_psql -A -t -c "SELECT arxiv_fdw.schedule_refresh('$S.os', '0 6 * * *')" >/dev/null
c_psql -c "DROP TABLE $S.os"
left=$(c_val "SELECT count(*) FROM cron.job WHERE jobname LIKE 'arxiv_fdw %refresh $S.%'")
[ "$left" = 0 ] || t_fail "DROP TABLE left $left jobs"
left=$(c_val "SELECT count(*) FROM arxiv_fdw.caches c
              WHERE NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = c.cache_table)
                 OR c.cache_table::text LIKE '$S.%'")
[ "$left" = 0 ] || t_fail "$left caches of this test are left in the catalog"

# The drop trigger unschedules only the jobs of caches that were dropped: not
# a job that merely has the name of a dropped table that was no cache.
c_psql -q >/dev/null <<SQL
CREATE TABLE $S.plain (x int);
SELECT cron.schedule('arxiv_fdw refresh $S.plain', '0 6 * * *', 'SELECT 1');
DROP TABLE $S.plain;
SQL
left=$(c_val "SELECT count(*) FROM cron.job WHERE jobname = 'arxiv_fdw refresh $S.plain'")
[ "$left" = 1 ] || t_fail "dropping a table that was no cache removed the job named after it"

# A role without USAGE on schema cron reads cache_status and drops its own
# cache, whose scheduled refresh (by a superuser) goes with it.
out=$(c_psql -A -t 2>&1 <<SQL
CREATE ROLE regress_arxiv_cronless;
GRANT USAGE, CREATE ON SCHEMA $S TO regress_arxiv_cronless;
GRANT USAGE ON FOREIGN SERVER $S TO regress_arxiv_cronless;
SET ROLE regress_arxiv_cronless;
CREATE FOREIGN TABLE $S.own (id text, updated timestamptz, category text) SERVER $S;
SELECT arxiv_fdw.create_cache('$S.own_cache', '$S.own', \$\$id = '2605.09735'\$\$);
RESET ROLE;
SELECT arxiv_fdw.schedule_refresh('$S.own_cache', '0 6 * * *') > 0;
SET ROLE regress_arxiv_cronless;
SELECT name || ' ' || rows || ' ' || coalesce(schedule, 'no-schedule') FROM arxiv_fdw.cache_status;
SELECT arxiv_fdw.drop_cache('$S.own_cache');
SQL
)
[ "$(echo $out)" = "1 t $S.own_cache 1 no-schedule" ] ||
	t_fail "a role without access to pg_cron: \"$(echo $out)\""
left=$(c_val "SELECT count(*) FROM cron.job WHERE jobname LIKE 'arxiv_fdw %refresh $S.own_cache'")
[ "$left" = 0 ] || t_fail "drop_cache by a role without access to pg_cron left $left jobs"

# Lock order: a refresh queued behind another one, and a DROP TABLE of the
# cache behind both, must not deadlock (a refresh locks the cache table
# before its catalog row, as DROP TABLE and its trigger do).
c_val "SELECT arxiv_fdw.create_cache('$S.lk', '$S.papers', \$\$id = '2605.09735'\$\$)" >/dev/null
mockctl fault '{"kind": "slow", "delay": 3, "count": 1}' >/dev/null
c_val "SELECT * FROM arxiv_fdw.refresh_cache('$S.lk', raise_errors => false)" \
	>"$ARXIV_WORK/cron_lk_a.out" 2>&1 &
pa=$!
sleep 1
c_val "SELECT * FROM arxiv_fdw.refresh_cache('$S.lk', raise_errors => false)" \
	>"$ARXIV_WORK/cron_lk_b.out" 2>&1 &
pb=$!
sleep 1
c_val "DROP TABLE $S.lk" >"$ARXIV_WORK/cron_lk_c.out" 2>&1 &
pc=$!
wait $pa $pb $pc
if grep -q deadlock "$ARXIV_WORK"/cron_lk_?.out; then
	t_fail "a queued refresh and DROP TABLE deadlocked: $(cat "$ARXIV_WORK"/cron_lk_?.out)"
fi
[ "$(c_val "SELECT to_regclass('$S.lk') IS NULL")" = t ] || t_fail "DROP TABLE $S.lk did not happen"

t_finish
