/*-------------------------------------------------------------------------
 *
 * arxiv_fdw.c
 *	  Foreign-data wrapper for the arXiv API: _PG_init and the GUCs, the
 *	  handler, IMPORT FOREIGN SCHEMA.
 *
 * The callbacks the handler returns live in plan.c (planning), scan.c
 * (execution, EXPLAIN) and fetch.c (one request's life); those of the
 * OAI-PMH tables in oai_plan.c and oai_scan.c, which the API's callbacks
 * dispatch to.  See arxiv_fdw.h for the map of every file.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "arxiv_scan.h"

PG_MODULE_MAGIC;

/* arxiv_fdw.progress: a NOTICE per page fetched, for long scans */
bool		arxiv_progress = false;

/*
 * arxiv_fdw.response_cache: off makes scans ignore cached responses (fresh
 * responses are still stored).  A cache-table refresh turns it off, since
 * it exists to see what changed since the last look; scans that write what
 * they read ignore cached responses anyway (see scan_fresh_only).
 */
bool		arxiv_response_cache = true;

/*
 * arxiv_fdw.resume_harvests: OAI-PMH lists are journaled so that a harvest
 * interrupted part-way resumes where it stopped (oai_journal.c).  Off by
 * default, since a resumed scan returns pages fetched earlier; cache
 * refreshes and creations turn it on, where that is what is wanted.
 */
bool		arxiv_resume_harvests = false;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomBoolVariable("arxiv_fdw.progress",
							 "Reports each page an arXiv scan fetches.",
							 "Emits a NOTICE per page: page n of m, entries so far, seconds waited for the rate limit.",
							 &arxiv_progress, false, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("arxiv_fdw.response_cache",
							 "Answers identical requests from the response cache.",
							 "When off, scans do not use cached responses (they still store fresh ones); the server option cache_ttl sets how long they stay fresh.",
							 &arxiv_response_cache, true, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("arxiv_fdw.resume_harvests",
							 "Lets an interrupted OAI-PMH harvest resume where it stopped.",
							 "Each page of an OAI-PMH list is kept on disk until the scan reaches its end; a later scan of the same role making the same request replays those pages, without requests, and goes on from there.  Cache creations and refreshes turn it on.",
							 &arxiv_resume_harvests, false, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	arxiv_cache_init();
	MarkGUCPrefixReserved("arxiv_fdw");
}

static List *arxivImportForeignSchema(ImportForeignSchemaStmt *stmt,
									  Oid serverOid);

PG_FUNCTION_INFO_V1(arxiv_fdw_handler);

Datum
arxiv_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = arxivGetForeignRelSize;
	routine->GetForeignPaths = arxivGetForeignPaths;
	routine->GetForeignPlan = arxivGetForeignPlan;
	routine->GetForeignUpperPaths = arxivGetForeignUpperPaths;
	routine->ExplainForeignScan = arxivExplainForeignScan;
	routine->BeginForeignScan = arxivBeginForeignScan;
	routine->IterateForeignScan = arxivIterateForeignScan;
	routine->ReScanForeignScan = arxivReScanForeignScan;
	routine->EndForeignScan = arxivEndForeignScan;
	routine->ImportForeignSchema = arxivImportForeignSchema;
	PG_RETURN_POINTER(routine);
}

/* ---------------------------------------------------------------------
 * IMPORT FOREIGN SCHEMA arxiv
 * ---------------------------------------------------------------------
 */

static List *
arxivImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	StringInfoData buf;

	if (strcmp(stmt->remote_schema, "arxiv_oai") == 0)
		return oai_import_statements(stmt->local_schema, server->servername);
	if (strcmp(stmt->remote_schema, "arxiv") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not available on arXiv",
						stmt->remote_schema),
				 errhint("arXiv has two schemas: \"arxiv\", with the table \"papers\" (the search API), and \"arxiv_oai\", with \"oai_papers\" and \"oai_versions\" (OAI-PMH).")));

	/* PostgreSQL applies LIMIT TO and EXCEPT to what is returned */
	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s.papers (",
					 quote_identifier(stmt->local_schema));
	for (int i = 0; i < AF_NUM_FIELDS; i++)
		appendStringInfo(&buf, "%s\n  %s %s", i > 0 ? "," : "",
						 arxiv_fields[i].name, arxiv_fields[i].sqltype);
	appendStringInfo(&buf, "\n) SERVER %s", quote_identifier(server->servername));
	return list_make1(buf.data);
}
