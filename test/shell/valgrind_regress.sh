#!/usr/bin/env bash
# OPTIONAL, slow: skipped unless RUN_SLOW=1.
# pg_regress suites (VALGRIND_TESTS, default "options scan response_cache")
# against a private cluster whose postmaster runs under valgrind memcheck,
# with the installed extension.  Fails if a test fails or if any valgrind
# report has arxiv_fdw.so in its stack.  PostgreSQL's own known reports
# (uninitialised padding written to WAL and the relcache init file, which
# PostgreSQL's valgrind.supp suppresses) are counted and printed, not failed.
[ "${RUN_SLOW:-0}" = 1 ] || { echo "valgrind_regress: skipped (set RUN_SLOW=1 to run)"; exit 0; }
source "$(dirname "$0")/../lib/env.sh"
set +e
V=$ARXIV_WORK/valgrind
BIN=$(pg_config --bindir)
VPORT=$((PGPORT + 200))
stop() { run_pg "$BIN/pg_ctl" -D "$V/data" -m fast stop -t 120 >/dev/null 2>&1; }
stop
rm -rf "$V"
mkdir -p "$V/sock" "$V/logs" "$V/out"
[ "$(id -u)" = 0 ] && chown -R postgres: "$V"
run_pg "$BIN/initdb" -D "$V/data" -U postgres -A trust --no-sync >/dev/null
cat >>"$V/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $VPORT
unix_socket_directories = '$V/sock'
fsync = off
max_connections = 10
CONF
run_pg valgrind --quiet --trace-children=no --leak-check=no --error-limit=no \
	--num-callers=30 --log-file="$V/logs/vg.%p.log" \
	"$BIN/postgres" -D "$V/data" >"$V/postmaster.log" 2>&1 &
for _ in $(seq 1 120); do
	psql -X -h "$V/sock" -p "$VPORT" -c "SELECT 1" postgres >/dev/null 2>&1 && break
	sleep 1
done
PGHOST=$V/sock PGPORT=$VPORT make -C "$ARXIV_TOP" -s installcheck \
	REGRESS="${VALGRIND_TESTS:-options scan response_cache}" \
	REGRESS_OPTS="--inputdir=. --outputdir=$V/out --dbname=valgrind_regression"
rc=$?
stop
sleep 2
reports=$(cat "$V"/logs/*.log | grep -c "^==[0-9]*== [A-Z]")
ours=$(grep -l "arxiv_fdw.so" "$V"/logs/*.log | wc -l)
echo "valgrind_regress: $(ls "$V"/logs | wc -l) processes, $reports valgrind reports," \
	"$ours with arxiv_fdw.so in the stack"
if [ $rc -ne 0 ] || [ "$ours" -ne 0 ]; then
	echo "valgrind_regress: FAILED" >&2
	exit 1
fi
echo "valgrind_regress: ok"
