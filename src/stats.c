/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  arxiv_fdw's usage statistics, and the data-directory folder where
 *	  arxiv_fdw keeps its files.
 *
 * The counters must be shared by every session of the cluster without
 * requiring shared_preload_libraries, so the cluster's live in a file,
 * arxiv_fdw/stats in the data directory, updated under an flock after each
 * request; this backend's are kept in memory as well.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"

#define STATS_FILE ARXIV_DATA_DIR "/stats"

static ArxivCounters session_counters;

/* ---------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------
 */

typedef struct StatsFile
{
	ArxivCounters counters;
	double		reset_time;		/* epoch seconds; 0: never reset */
} StatsFile;

/*
 * Create ARXIV_DATA_DIR, and subdir in it unless NULL, if missing.  Failure
 * is an ERROR, or with missing_ok a false result (for the response cache,
 * which is skipped then).
 */
bool
arxiv_make_data_dir(const char *subdir, bool missing_ok)
{
	char		path[MAXPGPATH];

	for (int level = 0; level < (subdir ? 2 : 1); level++)
	{
		if (level == 0)
			strlcpy(path, ARXIV_DATA_DIR, sizeof(path));
		else
			snprintf(path, sizeof(path), "%s/%s", ARXIV_DATA_DIR, subdir);
		if (mkdir(path, S_IRWXU) == 0 || errno == EEXIST)
			continue;
		if (missing_ok)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", path)));
	}
	return true;
}

/*
 * Descriptors of files under ARXIV_DATA_DIR that live as long as a scan and
 * are closed by a memory context callback, whatever the order of the
 * cleanup at abort: reserved with fd.c but not owned by the transaction.
 * Returns -1 (errno set) if none is available or open fails.
 */
int
arxiv_open_external(const char *path, int flags)
{
	int			fd;

	if (!AcquireExternalFD())
	{
		errno = EMFILE;
		return -1;
	}
	fd = open(path, flags | PG_BINARY, S_IRUSR | S_IWUSR);
	if (fd < 0)
		ReleaseExternalFD();
	return fd;
}

void
arxiv_close_external(int fd)
{
	(void) close(fd);
	ReleaseExternalFD();
}

static void
add_counters(ArxivCounters *to, const ArxivCounters *delta)
{
	to->requests += delta->requests;
	to->entries += delta->entries;
	to->bytes += delta->bytes;
	to->retries += delta->retries;
	to->cache_hits += delta->cache_hits;
	to->errors_http += delta->errors_http;
	to->errors_transport += delta->errors_transport;
	to->errors_parse += delta->errors_parse;
	to->errors_arxiv += delta->errors_arxiv;
	to->errors_empty += delta->errors_empty;
	to->rate_limit_wait += delta->rate_limit_wait;
}

/* Read-modify-write the stats file under its lock. */
static void
update_stats_file(const ArxivCounters *delta, bool reset, StatsFile *out)
{
	StatsFile	sf;
	int			fd;

	arxiv_make_data_dir(NULL, false);
	fd = OpenTransientFile(STATS_FILE, O_RDWR | O_CREAT | PG_BINARY);
	if (fd < 0)
	{
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", STATS_FILE)));
		return;
	}
	/* short critical section: blocking is fine */
	(void) flock(fd, LOCK_EX);
	memset(&sf, 0, sizeof(sf));
	if (pread(fd, &sf, sizeof(sf), 0) != sizeof(sf))
		memset(&sf, 0, sizeof(sf));
	if (reset)
	{
		memset(&sf, 0, sizeof(sf));
		sf.reset_time = (double) time(NULL);
	}
	if (delta)
		add_counters(&sf.counters, delta);
	if ((delta || reset) && pwrite(fd, &sf, sizeof(sf), 0) != sizeof(sf))
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", STATS_FILE)));
	(void) flock(fd, LOCK_UN);
	CloseTransientFile(fd);
	if (out)
		*out = sf;
}

/* Add delta to this session's and the cluster's counters. */
void
arxiv_stats_add(const ArxivCounters *delta)
{
	add_counters(&session_counters, delta);
	update_stats_file(delta, false, NULL);
}

static Datum
counters_tuple(FunctionCallInfo fcinfo, const ArxivCounters *c, double reset_time)
{
	TupleDesc	tupdesc;
	Datum		values[13];
	bool		nulls[13] = {0};
	int			n = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[n++] = Int64GetDatum(c->requests);
	values[n++] = Int64GetDatum(c->entries);
	values[n++] = Int64GetDatum(c->bytes);
	values[n++] = Int64GetDatum(c->retries);
	values[n++] = Int64GetDatum(c->cache_hits);
	values[n++] = Float8GetDatum(c->rate_limit_wait);
	values[n++] = Int64GetDatum(c->errors_http);
	values[n++] = Int64GetDatum(c->errors_transport);
	values[n++] = Int64GetDatum(c->errors_parse);
	values[n++] = Int64GetDatum(c->errors_arxiv);
	values[n++] = Int64GetDatum(c->errors_empty);
	if (reset_time > 0)
		values[n] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) reset_time));
	else
		nulls[n] = true;
	n++;
	Assert(n == tupdesc->natts);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

PG_FUNCTION_INFO_V1(arxiv_fdw_stats);
PG_FUNCTION_INFO_V1(arxiv_fdw_session_stats);
PG_FUNCTION_INFO_V1(arxiv_fdw_reset_stats);

/* The cluster's counters since the last reset. */
Datum
arxiv_fdw_stats(PG_FUNCTION_ARGS)
{
	StatsFile	sf;

	update_stats_file(NULL, false, &sf);
	return counters_tuple(fcinfo, &sf.counters, sf.reset_time);
}

/* This backend's counters since it started. */
Datum
arxiv_fdw_session_stats(PG_FUNCTION_ARGS)
{
	return counters_tuple(fcinfo, &session_counters, 0);
}

Datum
arxiv_fdw_reset_stats(PG_FUNCTION_ARGS)
{
	update_stats_file(NULL, true, NULL);
	PG_RETURN_VOID();
}
