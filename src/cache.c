/*-------------------------------------------------------------------------
 *
 * cache.c
 *	  The response cache and the usage statistics.
 *
 * Both must be shared by every session of the cluster without requiring
 * shared_preload_libraries, so both live in files under the data
 * directory's "arxiv_fdw" folder:
 *
 *	- cache/<key>.atom: one successful response, with a header naming the
 *	  request it answers.  Written to a temporary file while the response
 *	  arrives and renamed into place only once it was judged complete and
 *	  valid, so readers never see a partial body.  A file older than the
 *	  server's cache_ttl is ignored.
 *	- cache/<key>.total: the totalResults arXiv last gave for a search, so
 *	  that later plans of the same search estimate its rows without asking
 *	  (learned estimates).  Fresh for cache_ttl like the responses, swept
 *	  and cleared with them.
 *	- stats: the cluster's counters, updated under an flock after each
 *	  request; this backend's counters are kept in memory as well.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"

#define CACHE_DIR "arxiv_fdw/cache"
#define STATS_FILE "arxiv_fdw/stats"
#define CACHE_MAGIC "arxiv_fdw response cache 1\n"

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

static void
ensure_dir(const char *path)
{
	if (mkdir(path, S_IRWXU) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", path)));
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

	ensure_dir("arxiv_fdw");
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

/* ---------------------------------------------------------------------
 * Response cache
 * ---------------------------------------------------------------------
 */

/* 128 bits of the request, as hex: the cache file's name */
static void
cache_key(const char *url, const char *postfields, char *key)
{
	StringInfoData req;
	uint64		h1;
	uint64		h2;

	initStringInfo(&req);
	appendStringInfo(&req, "%s\n%s", url, postfields ? postfields : "");
	h1 = hash_bytes_extended((const unsigned char *) req.data, req.len, 0x61727869);
	h2 = hash_bytes_extended((const unsigned char *) req.data, req.len, 0x76666477);
	snprintf(key, 33, "%016llx%016llx", (unsigned long long) h1,
			 (unsigned long long) h2);
	pfree(req.data);
}

static char *
cache_header(const char *url, const char *postfields)
{
	return psprintf("%s%s\n%s\n", CACHE_MAGIC, url, postfields ? postfields : "");
}

/*
 * Look up a response younger than ttl seconds.  On a hit, the body is
 * passed to sink in chunks and true is returned; a sink refusal stops the
 * replay (the caller judges the parse as for a network response).
 */
bool
arxiv_cache_replay(const char *url, const char *postfields, double ttl,
				   ArxivSinkFn sink, void *sink_arg, int64 *bytes)
{
	char		key[33];
	char		path[MAXPGPATH];
	char	   *header;
	size_t		hlen;
	char	   *buf;
	struct stat st;
	int			fd;
	ssize_t		n;

	*bytes = 0;
	if (ttl <= 0)
		return false;
	cache_key(url, postfields, key);
	snprintf(path, sizeof(path), "%s/%s.atom", CACHE_DIR, key);
	if (stat(path, &st) != 0 || difftime(time(NULL), st.st_mtime) > ttl)
		return false;
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		return false;

	header = cache_header(url, postfields);
	hlen = strlen(header);
	buf = palloc(Max(hlen, 65536));
	if (read(fd, buf, hlen) != (ssize_t) hlen || memcmp(buf, header, hlen) != 0)
	{
		/* a hash collision or a foreign file: not ours to answer with */
		CloseTransientFile(fd);
		return false;
	}
	while ((n = read(fd, buf, 65536)) > 0)
	{
		*bytes += n;
		if (sink(sink_arg, buf, n) != (size_t) n)
			break;
	}
	CloseTransientFile(fd);
	pfree(buf);
	return true;
}

/* the temporary file a response is written to while it arrives */
struct ArxivCacheWriter
{
	int			fd;
	bool		failed;
	char		tmp_path[MAXPGPATH];
	char		final_path[MAXPGPATH];
	double		ttl;
	MemoryContextCallback cleanup;
};

static void
writer_cleanup(void *arg)
{
	ArxivCacheWriter *w = (ArxivCacheWriter *) arg;

	if (w->fd >= 0)
	{
		CloseTransientFile(w->fd);
		w->fd = -1;
		(void) unlink(w->tmp_path);
	}
}

/*
 * Start caching a response; NULL when caching is off.  The temporary file is
 * removed when cxt is reset, unless arxiv_cache_commit renamed it first.
 */
ArxivCacheWriter *
arxiv_cache_begin(MemoryContext cxt, const char *url, const char *postfields,
				  double ttl)
{
	ArxivCacheWriter *w;
	char		key[33];
	static int	seq = 0;
	char	   *header;

	if (ttl <= 0)
		return NULL;
	ensure_dir("arxiv_fdw");
	ensure_dir(CACHE_DIR);
	w = MemoryContextAllocZero(cxt, sizeof(ArxivCacheWriter));
	w->ttl = ttl;
	cache_key(url, postfields, key);
	snprintf(w->final_path, MAXPGPATH, "%s/%s.atom", CACHE_DIR, key);
	snprintf(w->tmp_path, MAXPGPATH, "%s/tmp.%d.%d", CACHE_DIR, MyProcPid, seq++);
	w->fd = OpenTransientFile(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (w->fd < 0)
		return NULL;			/* no cache, no failure */
	w->cleanup.func = writer_cleanup;
	w->cleanup.arg = w;
	MemoryContextRegisterResetCallback(cxt, &w->cleanup);
	header = cache_header(url, postfields);
	arxiv_cache_write(w, header, strlen(header));
	return w;
}

/* Append body bytes; never throws (called from the libcurl callback). */
void
arxiv_cache_write(ArxivCacheWriter *w, const char *data, size_t len)
{
	if (w == NULL || w->failed || w->fd < 0)
		return;
	if (write(w->fd, data, len) != (ssize_t) len)
		w->failed = true;
}

/*
 * Remove responses older than max_age seconds and temporary files older
 * than an hour (left by a backend that crashed while writing).  Run now and
 * then by the backends that store responses, so the cache cannot grow
 * without bound.
 */
static void
sweep_cache(double max_age)
{
	DIR		   *dir = AllocateDir(CACHE_DIR);
	struct dirent *de;
	time_t		now = time(NULL);

	if (dir == NULL)
		return;
	while ((de = ReadDirExtended(dir, CACHE_DIR, LOG)) != NULL)
	{
		char		path[MAXPGPATH];
		struct stat st;
		bool		tmp = strncmp(de->d_name, "tmp.", 4) == 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CACHE_DIR, de->d_name);
		if (stat(path, &st) == 0 &&
			difftime(now, st.st_mtime) > (tmp ? 3600 : max_age))
			(void) unlink(path);
	}
	FreeDir(dir);
}

/* Keep the response: it was complete and valid. */
void
arxiv_cache_commit(ArxivCacheWriter *w)
{
	static int	commits = 0;

	if (w == NULL || w->fd < 0)
		return;
	if (CloseTransientFile(w->fd) != 0)
		w->failed = true;
	w->fd = -1;
	if (w->failed || rename(w->tmp_path, w->final_path) != 0)
		(void) unlink(w->tmp_path);
	/* a response stays useful for cache_ttl; a day covers any server's */
	if (++commits % 100 == 0)
		sweep_cache(Max(w->ttl, 86400));
}

/* ---------------------------------------------------------------------
 * Learned estimates
 * ---------------------------------------------------------------------
 */

static void
total_path(const char *base_url, const char *search_query, char *path)
{
	char		key[33];

	cache_key(base_url, search_query, key);
	snprintf(path, MAXPGPATH, "%s/%s.total", CACHE_DIR, key);
}

static char *
total_content(const char *base_url, const char *search_query, int64 total)
{
	return psprintf(INT64_FORMAT "\n%s\n%s", total, base_url, search_query);
}

/* Remember a search's totalResults; best effort, never fails. */
void
arxiv_learned_store(const char *base_url, const char *search_query,
					int64 total)
{
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];
	char	   *content = total_content(base_url, search_query, total);
	size_t		len = strlen(content);
	int			fd;
	bool		ok;

	if (mkdir("arxiv_fdw", S_IRWXU) != 0 && errno != EEXIST)
		return;
	if (mkdir(CACHE_DIR, S_IRWXU) != 0 && errno != EEXIST)
		return;
	total_path(base_url, search_query, path);
	snprintf(tmp, sizeof(tmp), "%s/tmp.%d.total", CACHE_DIR, MyProcPid);
	fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		return;
	ok = write(fd, content, len) == (ssize_t) len;
	if (CloseTransientFile(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0)
		(void) unlink(tmp);
	pfree(content);
}

/* The totalResults learned for a search within ttl seconds, if any. */
bool
arxiv_learned_lookup(const char *base_url, const char *search_query,
					 double ttl, int64 *total)
{
	char		path[MAXPGPATH];
	char	   *expected;
	char	   *buf;
	struct stat st;
	int			fd;
	bool		found = false;

	total_path(base_url, search_query, path);
	if (stat(path, &st) != 0 || difftime(time(NULL), st.st_mtime) > ttl ||
		st.st_size > 1024 * 1024)
		return false;
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		return false;
	buf = palloc(st.st_size + 1);
	if (read(fd, buf, st.st_size) == st.st_size)
	{
		char	   *end;

		buf[st.st_size] = '\0';
		*total = strtoi64(buf, &end, 10);
		/* the whole content must match: a hash collision is not a hit */
		expected = total_content(base_url, search_query, *total);
		found = *total >= 0 && strcmp(buf, expected) == 0;
		pfree(expected);
	}
	CloseTransientFile(fd);
	pfree(buf);
	return found;
}

PG_FUNCTION_INFO_V1(arxiv_fdw_clear_cache);

/*
 * Remove every cached response and learned estimate; returns how many
 * responses were removed.
 */
Datum
arxiv_fdw_clear_cache(PG_FUNCTION_ARGS)
{
	DIR		   *dir = AllocateDir(CACHE_DIR);
	struct dirent *de;
	int64		removed = 0;

	if (dir == NULL && errno == ENOENT)
		PG_RETURN_INT64(0);
	while ((de = ReadDir(dir, CACHE_DIR)) != NULL)
	{
		char		path[MAXPGPATH];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CACHE_DIR, de->d_name);
		if (unlink(path) == 0 && strstr(de->d_name, ".atom") != NULL)
			removed++;
	}
	FreeDir(dir);
	PG_RETURN_INT64(removed);
}
