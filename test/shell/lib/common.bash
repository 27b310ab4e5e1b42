# Shared helpers of the shell tests (test/shell/*.sh) and the fault campaign
# (test/fault/run.sh).  Source it from a test; it sources test/lib/env.sh,
# makes sure the scratch cluster and the mock arXiv API are up (without
# rebuilding: test/check.sh builds and installs first), and offers:
#
#   t_db NAME [SERVER OPTIONS]  create database NAME with the extension, a
#                               server "arxiv" on the mock and the imported
#                               table "papers"; dropped again at exit
#   t_psql ARGS...              psql -X -q -v ON_ERROR_STOP=1 on that database
#   mockctl ARGS...             test/mock/mockctl
#   t_mock_config JSON          POST /_mock/config (e.g. {"min_interval": 0.45})
#   t_fail MESSAGE              record a failure (the test exits 1 at the end)
#   t_finish                    print the verdict and exit 0/1
#
# PYTHON is Debian's /usr/bin/python3, which has psycopg2.

# shellcheck source=../../lib/env.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../lib" && pwd)/env.sh"
set +e +o pipefail				# tests decide themselves what is fatal
set -u

PYTHON=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
T_NAME=$(basename "$0" .sh)
T_FAILURES=0
T_DBS=()

if ! start_cluster || ! start_mock; then
	echo "$T_NAME: FAILED: could not start the cluster or the mock server" >&2
	exit 1
fi
cd "$ARXIV_TOP" || exit 1

mockctl() { python3 "$ARXIV_TOP/test/mock/mockctl" "$@"; }

t_mock_config() {
	curl -sf -X POST -H 'Content-Type: application/json' -d "$1" \
		"http://127.0.0.1:$MOCK_PORT/_mock/config" >/dev/null
}

t_psql() { psql -X -q -v ON_ERROR_STOP=1 -d "$T_DB" "$@"; }

t_cleanup() {
	local db
	for db in "${T_DBS[@]}"; do
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
			>/dev/null 2>&1
	done
	mockctl reset >/dev/null 2>&1
}
trap t_cleanup EXIT

# t_db NAME [server options, SQL syntax, without the base_url]
t_db() {
	T_DB=$1
	local opts=${2:-}
	T_DBS+=("$T_DB")
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$T_DB\" WITH (FORCE)" >/dev/null 2>&1
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$T_DB\"" >/dev/null || return 1
	t_psql >/dev/null <<SQL || return 1
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url '$ARXIV_MOCK_URL'${opts:+, $opts});
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
SQL
}

t_fail() {
	echo "$T_NAME: FAIL: $*" >&2
	T_FAILURES=$((T_FAILURES + 1))
}

t_finish() {
	if [ "$T_FAILURES" -gt 0 ]; then
		echo "$T_NAME: FAILED ($T_FAILURES failed checks)"
		exit 1
	fi
	echo "$T_NAME: ok"
	exit 0
}
