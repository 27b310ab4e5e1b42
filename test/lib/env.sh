# Shared set-up for arxiv_fdw's scripts: packages, build, scratch cluster, mock.
# Source it; every function is idempotent.  Nothing here needs internet except
# Debian's package archive.

set -euo pipefail

ARXIV_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ARXIV_WORK=${ARXIV_WORK:-/tmp/arxiv_fdw_test}
PGPORT=${PGPORT:-54329}
MOCK_PORT=${MOCK_PORT:-18089}
PGHOST=$ARXIV_WORK/sock
PGUSER=postgres
PGDATABASE=${PGDATABASE:-postgres}
ARXIV_MOCK_URL="http://127.0.0.1:$MOCK_PORT/api/query"
export PGPORT PGHOST PGUSER PGDATABASE ARXIV_MOCK_URL MOCK_PORT ARXIV_WORK ARXIV_TOP

PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-15-cron libcurl4-openssl-dev
libxml2-dev libxml2-utils pkg-config make gcc clang libclang-rt-14-dev curl ca-certificates
python3 python3-feedparser python3-psycopg2 python3-lxml"

log() { printf '== %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
	local missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "installing:$missing"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $missing >/dev/null
	fi
}

pg_bindir() {
	echo "$(pg_config --bindir)"
}

build_install() {
	log "building and installing arxiv_fdw"
	make -C "$ARXIV_TOP" -s PG_CFLAGS="-Wall -Wextra -Wno-sign-compare -Wno-missing-field-initializers ${ARXIV_EXTRA_CFLAGS:--Werror}" >/dev/null
	as_root make -C "$ARXIV_TOP" -s install >/dev/null
}

run_pg() {
	# PostgreSQL refuses to run as root
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_cluster() {
	local bindir
	bindir=$(pg_bindir)
	mkdir -p "$ARXIV_WORK"
	if [ "$(id -u)" = 0 ]; then chown postgres: "$ARXIV_WORK"; fi
	if [ ! -f "$ARXIV_WORK/data/PG_VERSION" ]; then
		log "initdb in $ARXIV_WORK/data"
		run_pg "$bindir/initdb" -D "$ARXIV_WORK/data" -U postgres -A trust \
			--no-sync >/dev/null
		mkdir -p "$ARXIV_WORK/sock"
		[ "$(id -u)" = 0 ] && chown postgres: "$ARXIV_WORK/sock"
		cat >>"$ARXIV_WORK/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '$ARXIV_WORK/sock'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
# the cluster listens on its socket only: pg_cron's jobs connect there
cron.host = '$ARXIV_WORK/sock'
fsync = off
log_min_messages = warning
CONF
	fi
	if ! run_pg "$bindir/pg_ctl" -D "$ARXIV_WORK/data" status >/dev/null 2>&1; then
		log "starting PostgreSQL on port $PGPORT"
		run_pg "$bindir/pg_ctl" -D "$ARXIV_WORK/data" -l "$ARXIV_WORK/postgres.log" \
			-w start >/dev/null
	fi
}

stop_cluster() {
	run_pg "$(pg_bindir)/pg_ctl" -D "$ARXIV_WORK/data" -m fast stop >/dev/null 2>&1 || true
}

start_mock() {
	if [ -f "$ARXIV_WORK/mock.pid" ] && kill -0 "$(cat "$ARXIV_WORK/mock.pid")" 2>/dev/null; then
		return
	fi
	log "starting the mock arXiv API on port $MOCK_PORT"
	mkdir -p "$ARXIV_WORK"
	python3 "$ARXIV_TOP/test/mock/arxiv_mock.py" --port "$MOCK_PORT" \
		--log "$ARXIV_WORK/mock-requests.jsonl" --pidfile "$ARXIV_WORK/mock.pid" \
		${MOCK_ARGS:-} >"$ARXIV_WORK/mock.log" 2>&1 &
	for _ in $(seq 1 100); do
		python3 "$ARXIV_TOP/test/mock/mockctl" stats >/dev/null 2>&1 && return
		sleep 0.2
	done
	log "the mock server did not start:"; cat "$ARXIV_WORK/mock.log" >&2
	return 1
}

stop_mock() {
	if [ -f "$ARXIV_WORK/mock.pid" ]; then
		kill "$(cat "$ARXIV_WORK/mock.pid")" 2>/dev/null || true
		rm -f "$ARXIV_WORK/mock.pid"
	fi
}

setup_all() {
	install_packages
	build_install
	start_cluster
	start_mock
}
