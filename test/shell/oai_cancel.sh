#!/usr/bin/env bash
# Cancellation within one second of scans of the OAI-PMH tables, wherever
# they wait: a slow transfer (GetRecord, and a later page of a harvest), a
# retry backoff (503 with Retry-After: 30, GetRecord and a later page), a
# rate-limit wait (request_interval 30 after another session's request, and
# after the same session's); each by pg_cancel_backend, then by
# statement_timeout.  SQLSTATE 57014 within 1 s, and no leaked state: the
# session and a third one answer at once, a harvest returns the right count,
# and a cancelled wait keeps its turn.  See test/shell/lib/oai_cancel.py.
source "$(dirname "$0")/lib/common.bash"

t_db arxiv_t_oai_cancel "oai_url '${ARXIV_MOCK_URL%/api/query}/oai', request_interval '0', max_retries '3', timeout '60', cache_ttl '0'" ||
	{ t_fail "could not create the test database"; t_finish; }
t_psql -c "IMPORT FOREIGN SCHEMA arxiv_oai FROM SERVER arxiv INTO public" >/dev/null ||
	{ t_fail "could not import the OAI-PMH tables"; t_finish; }

PYTHONPATH="$ARXIV_TOP/test/shell/lib" $PYTHON "$ARXIV_TOP/test/shell/lib/oai_cancel.py" \
	arxiv_t_oai_cancel || t_fail "see the figures above"
t_finish
