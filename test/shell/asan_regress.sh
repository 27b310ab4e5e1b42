#!/usr/bin/env bash
# OPTIONAL, slow: skipped unless RUN_SLOW=1.
# The pg_regress suite (the Makefile's REGRESS list) against a private
# cluster whose arxiv_fdw is built with AddressSanitizer and UBSan.
#
# The system-wide installation is shared, so nothing is installed there:
# PostgreSQL's binaries and share files are copied to $ARXIV_WORK/asan/root
# with the same layout (PostgreSQL finds its share and lib directories
# relative to its executable), the instrumented build is installed into that
# copy with DESTDIR, and a cluster on port $ASAN_PGPORT runs from it with
# libasan preloaded.  Fails on any AddressSanitizer/UBSan report or any
# pg_regress failure.
[ "${RUN_SLOW:-0}" = 1 ] || { echo "asan_regress: skipped (set RUN_SLOW=1 to run)"; exit 0; }
source "$(dirname "$0")/lib/common.bash"

ASAN_PGPORT=${ASAN_PGPORT:-$((PGPORT + 100))}
A=$ARXIV_WORK/asan
ROOT=$A/root
BIN=$ROOT$(pg_config --bindir)
LIBASAN=$(gcc -print-file-name=libasan.so)
SOCK=$A/sock

asan_stop() {
	[ -f "$A/data/postmaster.pid" ] &&
		run_pg "$BIN/pg_ctl" -D "$A/data" -m immediate stop >/dev/null 2>&1
}
trap 'asan_stop; t_cleanup' EXIT

# On some systems a process with libasan preloaded hangs at exit (libp11-kit's
# destructor, pulled in by libldap/gnutls, deadlocks in freelocale under
# ASan; seen on Debian 12): then this test cannot run here.
if ! timeout 10 env LD_PRELOAD="$LIBASAN" ASAN_OPTIONS=detect_leaks=0 "$(pg_config --bindir)/postgres" -V >/dev/null 2>&1; then
	echo "asan_regress: SKIPPED: a PostgreSQL binary with libasan preloaded does not even" \
		"run 'postgres -V' to completion here (it hangs at exit: libp11-kit/freelocale)"
	exit 0
fi
asan_stop
rm -rf "$A"
mkdir -p "$ROOT" "$SOCK" "$A/build"
# a relocated copy of the PostgreSQL installation
for d in "$(pg_config --pkglibdir)/.." "$(pg_config --sharedir)"; do
	d=$(cd "$d" && pwd)
	mkdir -p "$ROOT$(dirname "$d")"
	cp -a "$d" "$ROOT$(dirname "$d")/"
done
# the instrumented build, from a copy of the sources
cp -a "$ARXIV_TOP/Makefile" "$ARXIV_TOP"/*.control "$A/build/"
mkdir -p "$A/build/src" "$A/build/sql"
cp -a "$ARXIV_TOP"/src/*.c "$ARXIV_TOP"/src/*.h "$A/build/src/"
cp -a "$ARXIV_TOP/sql/parts" "$A/build/sql/"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
if ! make -C "$A/build" -s PG_CFLAGS="$SAN" SHLIB_LINK_INTERNAL="-fsanitize=address,undefined" \
	>"$A/build.log" 2>&1 || ! make -C "$A/build" -s install DESTDIR="$ROOT" >>"$A/build.log" 2>&1; then
	cat "$A/build.log" >&2
	t_fail "the instrumented build failed"
	t_finish
fi
nm -D "$ROOT$(pg_config --pkglibdir)/arxiv_fdw.so" | grep -q __asan_init ||
	{ t_fail "the build is not instrumented"; t_finish; }

[ "$(id -u)" = 0 ] && chown -R postgres: "$A"
run_pg "$BIN/initdb" -D "$A/data" -U postgres -A trust --no-sync >/dev/null ||
	{ t_fail "initdb"; t_finish; }
cat >>"$A/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $ASAN_PGPORT
unix_socket_directories = '$SOCK'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.host = '$SOCK'
fsync = off
log_min_messages = warning
CONF
# detect_leaks=0: PostgreSQL frees by memory context and exits without freeing
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:log_path=$A/asan:verify_asan_link_order=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$A/ubsan"
if ! run_pg env LD_PRELOAD="$LIBASAN" ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
	"$BIN/pg_ctl" -D "$A/data" -l "$A/postgres.log" -w start >/dev/null; then
	cat "$A/postgres.log" >&2
	t_fail "the instrumented cluster did not start"
	t_finish
fi
[ "$(psql -X -At -h "$SOCK" -p "$ASAN_PGPORT" -d postgres -c "SELECT setting FROM pg_config() WHERE name = 'PKGLIBDIR'")" = "$ROOT$(pg_config --pkglibdir)" ] ||
	t_fail "the cluster does not use the relocated installation"

tests=$(sed -n 's/^REGRESS *= *//p' "$ARXIV_TOP/Makefile")
mockctl reset
start=$(date +%s)
PGHOST=$SOCK PGPORT=$ASAN_PGPORT "$(pg_config --pkglibdir)/pgxs/src/test/regress/pg_regress" \
	--inputdir="$ARXIV_TOP" --outputdir="$A/regress-out" --bindir="$(pg_config --bindir)" \
	--host="$SOCK" --port="$ASAN_PGPORT" --dbname=asan_regression $tests ||
	{ t_fail "pg_regress: see $A/regress-out/regression.diffs"; cat "$A/regress-out/regression.diffs" 2>/dev/null | head -60; }
echo "pg_regress under ASan/UBSan: $(date +%s) - $start" | awk '{print $1, $2, $3, $4, $5-$7 " s"}'
if grep -l "AddressSanitizer\|runtime error" "$A"/asan* "$A"/ubsan* "$A/postgres.log" 2>/dev/null; then
	grep -h -A30 "AddressSanitizer\|runtime error" "$A"/asan* "$A"/ubsan* "$A/postgres.log" 2>/dev/null | head -80
	t_fail "sanitizer reports (above)"
fi
grep -q "terminated by signal" "$A/postgres.log" && t_fail "a backend crashed: $(grep 'terminated by signal' "$A/postgres.log" | head -3)"
t_finish
