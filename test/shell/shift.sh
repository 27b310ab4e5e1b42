#!/usr/bin/env bash
# Papers announced while a scan pages through arXiv shift the later pages:
# newest first, the previous page's last rows come again.  The scan must
# still return each matching paper exactly once.
source "$(dirname "$0")/../lib/env.sh"
db=regress_arxiv_shift
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -d $db -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url '$ARXIV_MOCK_URL', request_interval '2', page_size '40', cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
SQL
python3 "$ARXIV_TOP/test/mock/mockctl" reset
before=$(psql -X -At -d $db -c "SELECT count(*) FROM papers WHERE category = 'cs.AR' AND published >= '2026-01-01'")
python3 "$ARXIV_TOP/test/mock/mockctl" reset

# the scan waits 2 s between its pages; new papers arrive after its first
psql -X -At -d $db -c "SELECT count(*), count(DISTINCT id) FROM papers WHERE category = 'cs.AR' AND published >= '2026-01-01'" > "$ARXIV_WORK/shift.out" &
scan=$!
# wait for the scan's first request, then announce new papers
for _ in $(seq 1 100); do
	n=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' < <(python3 "$ARXIV_TOP/test/mock/mockctl" log))
	[ "$n" -ge 1 ] && break
	sleep 0.1
done
python3 "$ARXIV_TOP/test/mock/mockctl" corpus '{"add_new": 7, "categories": ["cs.AR"]}' >/dev/null
wait $scan
read -r total distinct < <(tr '|' ' ' < "$ARXIV_WORK/shift.out")
pages=$(python3 "$ARXIV_TOP/test/mock/mockctl" count)
python3 "$ARXIV_TOP/test/mock/mockctl" reset
psql -X -q -d postgres -c "DROP DATABASE $db"

echo "shift: $before rows before, scan returned $total rows ($distinct distinct) while 7 papers arrived; $pages"
# the new papers are newer than the scan's position: it returns the old set
if [ "$total" != "$distinct" ] || [ "$total" != "$before" ]; then
	echo "shift: FAILED (duplicates or missing rows)" >&2
	exit 1
fi
echo "shift: ok"
