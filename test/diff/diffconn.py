"""The connection both differential tests (pushdown_diff.py, oai_diff.py)
run their statements on: reconnects after a backend crash, which it
reports as a result of its own, so a crash is a difference, not the end of
the run."""
import os
import time

import psycopg2


class Conn:
    def __init__(self, dbname, application_name="arxiv_fdw-diff"):
        self.dbname = dbname
        self.application_name = application_name
        self.conn = None
        self.connect()

    def connect(self, wait=90):
        deadline = time.time() + wait
        while True:
            try:
                self.conn = psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"],
                                             user=os.environ.get("PGUSER", "postgres"),
                                             dbname=self.dbname,
                                             application_name=self.application_name)
                self.conn.autocommit = True
                with self.conn.cursor() as cur:
                    cur.execute("SET statement_timeout = '120s'")
                return
            except psycopg2.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    def run(self, sqls):
        """Run statements; the result of the last one: ('rows', sorted tuple),
        ('error', sqlstate, message) or ('crash', message)."""
        try:
            with self.conn.cursor() as cur:
                for s in sqls:
                    cur.execute(s)
                rows = cur.fetchall()
            if len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], int):
                return ("count", rows[0][0])
            return ("rows", tuple(sorted(r[0] for r in rows)))
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else "connection lost"
            if self.conn.closed or getattr(e, "pgcode", None) is None:
                self.connect()
                return ("crash", msg)
            return ("error", e.pgcode, msg)
        except psycopg2.Error as e:
            return ("error", e.pgcode, (e.pgerror or str(e)).strip().splitlines()[0])
