#!/usr/bin/env bash
# The response cache across sessions:
# 1. A scan reads one consistent listing: new papers announced between the
#    caching of one page and of the next must not make a later scan take
#    some pages of one listing and some of another (it would lose or repeat
#    rows).  The scan's rows must be exactly those of a listing before or
#    after the papers arrived.
# 2. The cache directory stays within arxiv_fdw.response_cache_size even
#    when every session runs a single query.
source "$(dirname "$0")/../lib/env.sh"
db=regress_arxiv_rcache
mockctl() { python3 "$ARXIV_TOP/test/mock/mockctl" "$@"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -d $db -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url '$ARXIV_MOCK_URL', request_interval '0', page_size '40', cache_ttl '3600');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
SELECT arxiv_fdw.clear_cache();
SQL
mockctl reset
fail=0
cond="category = 'cs.AR' AND published >= '2026-01-01'"
digest="SELECT count(*) || ' ' || md5(string_agg(id, ',' ORDER BY id)) FROM papers WHERE $cond"

# 1. session A caches the whole listing as it is now
before=$(q -c "$digest")
mockctl corpus '{"add_new": 7, "categories": ["cs.AR"]}' >/dev/null
mockctl count >/dev/null
# session C reads only the first page of the new listing, fresh (its
# fresh pages are cached as they come)
q >/dev/null <<SQL
SET arxiv_fdw.response_cache = off;
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM papers WHERE $cond;
FETCH 40 FROM c;
COMMIT;
SQL
c_requests=$(mockctl count)
# session B answers from the cache: all of one listing, whichever
mixed=$(q -c "$digest")
b_requests=$(mockctl count)
# the listing as it is now
after=$(q -c "SET arxiv_fdw.response_cache = off" -c "$digest")
echo "response_cache: listing before: $before; after: $after; session C read one page fresh ($c_requests); then a scan with the cache: $mixed ($b_requests)"
if [ "$mixed" != "$before" ] && [ "$mixed" != "$after" ]; then
	echo "response_cache: FAILED (a scan mixed pages of two listings)" >&2
	fail=1
fi

# 2. every session runs one query, each a different request; the cache
# must stay within its bound (256 kB here, listings of 20-170 kB)
limit_kb=256
q -c "SELECT arxiv_fdw.clear_cache()" >/dev/null
for i in $(seq 1 30); do
	d=$(date -u -d "2026-01-01 + $((i * 4)) days" +%F)
	PGOPTIONS="-c arxiv_fdw.response_cache_size=${limit_kb}kB" \
		q -c "SELECT count(*) FROM papers WHERE category = 'cs.OS' AND published >= '$d'" >/dev/null
done
read -r size files < <(q -F ' ' -c "SELECT coalesce(sum(s.size), 0), count(*) FROM pg_ls_dir('arxiv_fdw/cache') f, pg_stat_file('arxiv_fdw/cache/' || f) s WHERE f NOT LIKE 'tmp.%'")
mockctl reset
psql -X -q -d postgres -c "DROP DATABASE $db"
echo "response_cache: 30 sessions of one query each: cache holds $size bytes in $files files (limit $((limit_kb * 1024)))"
if [ "$size" -gt $((limit_kb * 1024)) ] || [ "$files" -eq 0 ]; then
	echo "response_cache: FAILED (the cache is not bounded)" >&2
	fail=1
fi
[ $fail = 0 ] && echo "response_cache: ok"
exit $fail
