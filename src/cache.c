/*-------------------------------------------------------------------------
 *
 * cache.c
 *	  The response cache and the learned estimates.
 *
 * Both must be shared by every session of the cluster without requiring
 * shared_preload_libraries, so both live in files under the data
 * directory's "arxiv_fdw" folder (see stats.c for the statistics, which
 * live there too):
 *
 *	- cache/<key>.atom: one listing, the pages of one scan, keyed by role
 *	  and request (see "Response cache" below).  Written to a temporary
 *	  file while the scan runs and renamed into place only once the scan
 *	  asked for every page it will ask for and each was judged complete and
 *	  valid, so readers never see a partial listing.  A file older than the
 *	  server's cache_ttl is ignored.
 *	- cache/<key>.total: the totalResults arXiv last gave a role for a
 *	  search, so that later plans of the same search estimate its rows
 *	  without asking (learned estimates).  Fresh for cache_ttl like the
 *	  listings, swept, bounded and cleared with them.
 *	- cache.state: the total size of the cache files, for the size bound.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#define CACHE_SUBDIR "cache"
#define CACHE_DIR ARXIV_DATA_DIR "/" CACHE_SUBDIR
#define CACHE_MAGIC "arxiv_fdw response cache 2\n"

/* ---------------------------------------------------------------------
 * Response cache
 *
 * A cache file holds one listing: the pages one scan fetched, in order,
 * each with the request it answers.  It is keyed by the role whose
 * privileges the scan runs with and by everything that decides which pages
 * the scan asks for (built by the caller), so that one role never sees what
 * another searched for, and a scan that replays a listing asks for exactly
 * the pages it holds.  A scan either replays one listing from its first
 * page or fetches every page fresh; it never mixes pages captured at
 * different times, which would lose or repeat rows when new papers shifted
 * the listing in between.
 *
 * The directory is bounded by arxiv_fdw.response_cache_size: a listing
 * that would exceed it is not kept, and installing a file evicts the oldest
 * ones once the total is over the limit.  The total is kept in a small
 * state file updated under an flock with every file installed; a sweep
 * recounts it from the directory and removes expired and orphaned files,
 * at most once a minute or whenever the limit is exceeded, from whichever
 * session installs a file then.
 * ---------------------------------------------------------------------
 */

#define CACHE_STATE_FILE ARXIV_DATA_DIR "/cache.state"
#define CACHE_STATE_MAGIC 0x61786332	/* "axc2" */
#define CACHE_FILE_MODE (S_IRUSR | S_IWUSR)
#define SWEEP_INTERVAL 60.0		/* seconds between two sweeps */
#define MIN_MAX_AGE 86400.0		/* files younger than this are not expired */
#define TMP_MAX_AGE 3600.0		/* a temporary file older than this is orphaned */
#define REPLAY_CHUNK 65536

/* arxiv_fdw.response_cache_size, in kB */
static int	response_cache_size = 64 * 1024;

/* the shared part of the cache's state, in CACHE_STATE_FILE */
typedef struct CacheState
{
	uint32		magic;
	int64		bytes;			/* cache files installed, in bytes */
	double		last_sweep;		/* epoch seconds */
} CacheState;

/* one page's record in a listing file; the request and the body follow */
typedef struct ListingPage
{
	char		tag[4];			/* "PAGE" */
	uint32		reqlen;			/* URL, newline, POST body */
	uint64		bodylen;
} ListingPage;

void
arxiv_cache_init(void)
{
	DefineCustomIntVariable("arxiv_fdw.response_cache_size",
							"Bounds the disk space of the response cache.",
							"Cached listings and learned estimates together, for the whole cluster; a listing larger than this is not cached, and the oldest files are removed to make room.  0 stores nothing.",
							&response_cache_size, 64 * 1024, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
}

static int64
cache_limit(void)
{
	return (int64) response_cache_size * 1024;
}

/* Create the cache directory; false if that failed (the cache is skipped). */
static bool
make_cache_dirs(void)
{
	return arxiv_make_data_dir(CACHE_SUBDIR, true);
}

/* 128 bits of role and key, as hex: the cache file's name */
static void
cache_key(Oid role, const char *key, char *hex)
{
	StringInfoData req;
	uint64		h1;
	uint64		h2;

	initStringInfo(&req);
	appendStringInfo(&req, "%u\n%s", role, key);
	h1 = hash_bytes_extended((const unsigned char *) req.data, req.len, 0x61727869);
	h2 = hash_bytes_extended((const unsigned char *) req.data, req.len, 0x76666477);
	snprintf(hex, 33, "%016llx%016llx", (unsigned long long) h1,
			 (unsigned long long) h2);
	pfree(req.data);
}

/* the start of a listing file: what it answers, compared in full on reading */
static char *
cache_header(Oid role, const char *key)
{
	return psprintf("%srole %u\n%zu\n%s\n", CACHE_MAGIC, role, strlen(key), key);
}

static char *
request_text(const char *url, const char *postfields)
{
	return psprintf("%s\n%s", url, postfields ? postfields : "");
}

/* Open and lock the state file; -1 if it cannot be (then nothing is cached). */
static int
lock_state(CacheState *cs)
{
	int			fd;

	fd = OpenTransientFilePerm(CACHE_STATE_FILE, O_RDWR | O_CREAT | PG_BINARY,
							   CACHE_FILE_MODE);
	if (fd < 0)
		return -1;
	/* short critical section: blocking is fine */
	(void) flock(fd, LOCK_EX);
	if (pread(fd, cs, sizeof(*cs), 0) != sizeof(*cs) ||
		cs->magic != CACHE_STATE_MAGIC)
	{
		/* new or unreadable: the next sweep recounts */
		memset(cs, 0, sizeof(*cs));
		cs->magic = CACHE_STATE_MAGIC;
	}
	return fd;
}

static void
unlock_state(int fd, const CacheState *cs)
{
	if (pwrite(fd, cs, sizeof(*cs), 0) != sizeof(*cs))
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", CACHE_STATE_FILE)));
	(void) flock(fd, LOCK_UN);
	CloseTransientFile(fd);
}

typedef struct CacheFile
{
	char	   *name;
	time_t		mtime;
	off_t		size;
} CacheFile;

static int
cache_file_cmp(const void *a, const void *b)
{
	const CacheFile *fa = (const CacheFile *) a;
	const CacheFile *fb = (const CacheFile *) b;

	if (fa->mtime != fb->mtime)
		return fa->mtime < fb->mtime ? -1 : 1;
	return strcmp(fa->name, fb->name);
}

/*
 * With the state locked: remove files older than max_age seconds and
 * temporary files older than an hour (left by a backend that crashed while
 * writing), recount the total, and if it is over the limit remove the
 * oldest files (but not keep) until it is under three quarters of it, so
 * that the next sweeps are not due at once.
 */
static void
sweep_locked(CacheState *cs, double max_age, const char *keep)
{
	DIR		   *dir = AllocateDir(CACHE_DIR);
	struct dirent *de;
	time_t		now = time(NULL);
	CacheFile  *files = NULL;
	int			nfiles = 0;
	int			maxfiles = 0;
	int64		total = 0;
	int64		limit = cache_limit();

	if (dir == NULL)
		return;
	while ((de = ReadDirExtended(dir, CACHE_DIR, LOG)) != NULL)
	{
		char		path[MAXPGPATH];
		struct stat st;
		double		age;

		CHECK_FOR_INTERRUPTS();
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CACHE_DIR, de->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		age = difftime(now, st.st_mtime);
		if (strncmp(de->d_name, "tmp.", 4) == 0)
		{
			/* files being written are not counted: each is bounded */
			if (age > TMP_MAX_AGE)
				(void) unlink(path);
			continue;
		}
		if (age > max_age)
		{
			(void) unlink(path);
			continue;
		}
		if (nfiles == maxfiles)
		{
			maxfiles = Max(maxfiles * 2, 64);
			files = files ? repalloc(files, sizeof(CacheFile) * maxfiles)
				: palloc(sizeof(CacheFile) * maxfiles);
		}
		files[nfiles].name = pstrdup(path);
		files[nfiles].mtime = st.st_mtime;
		files[nfiles].size = st.st_size;
		nfiles++;
		total += st.st_size;
	}
	FreeDir(dir);

	if (total > limit)
	{
		int64		low = limit - limit / 4;

		qsort(files, nfiles, sizeof(CacheFile), cache_file_cmp);
		for (int i = 0; i < nfiles && total > low; i++)
		{
			if (keep && strcmp(files[i].name, keep) == 0)
				continue;
			if (unlink(files[i].name) == 0 || errno == ENOENT)
				total -= files[i].size;
		}
	}
	for (int i = 0; i < nfiles; i++)
		pfree(files[i].name);
	if (files)
		pfree(files);
	cs->bytes = total;
	cs->last_sweep = (double) now;
}

/*
 * Rename a complete temporary file of size bytes into place and account
 * for it; sweep if the limit is exceeded or a sweep is due.  The file is
 * dropped if the state cannot be locked.
 */
static void
install_file(const char *tmp, const char *final, int64 size, double ttl)
{
	CacheState	cs;
	struct stat st;
	int64		old = 0;
	double		now = (double) time(NULL);
	int			fd;

	fd = lock_state(&cs);
	if (fd < 0)
	{
		(void) unlink(tmp);
		return;
	}
	if (stat(final, &st) == 0)
		old = st.st_size;
	if (rename(tmp, final) != 0)
		(void) unlink(tmp);
	else
		cs.bytes += size - old;
	if (cs.bytes > cache_limit() || cs.bytes < 0 ||
		now - cs.last_sweep > SWEEP_INTERVAL || cs.last_sweep > now)
	{
		/* a listing stays useful for cache_ttl; a day covers any server's */
		sweep_locked(&cs, Max(ttl, MIN_MAX_AGE), final);
	}
	unlock_state(fd, &cs);
}

/* a listing being replayed */
struct ArxivCacheReader
{
	int			fd;
	off_t		off;			/* the next page's record */
	char	   *buf;
	char		path[MAXPGPATH];
	MemoryContextCallback cleanup;
};

static void
reader_cleanup(void *arg)
{
	ArxivCacheReader *r = (ArxivCacheReader *) arg;

	if (r->fd >= 0)
		arxiv_close_external(r->fd);
	r->fd = -1;
}

/*
 * Open the listing cached for key by role, if it is younger than ttl
 * seconds; NULL if there is none.  The descriptor is closed when cxt is
 * reset, and the open file stays what it was even if the listing is
 * replaced or evicted meanwhile.
 */
ArxivCacheReader *
arxiv_cache_open(MemoryContext cxt, Oid role, const char *key, double ttl)
{
	ArxivCacheReader *r;
	char		hex[33];
	char	   *header;
	size_t		hlen;
	char	   *hbuf;
	struct stat st;

	if (ttl <= 0)
		return NULL;
	r = MemoryContextAllocZero(cxt, sizeof(ArxivCacheReader));
	r->fd = -1;
	r->cleanup.func = reader_cleanup;
	r->cleanup.arg = r;
	MemoryContextRegisterResetCallback(cxt, &r->cleanup);

	cache_key(role, key, hex);
	snprintf(r->path, MAXPGPATH, "%s/%s.atom", CACHE_DIR, hex);
	r->fd = arxiv_open_external(r->path, O_RDONLY);
	if (r->fd < 0)
		return NULL;
	header = cache_header(role, key);
	hlen = strlen(header);
	hbuf = palloc(hlen);
	if (fstat(r->fd, &st) != 0 || difftime(time(NULL), st.st_mtime) > ttl ||
		pread(r->fd, hbuf, hlen, 0) != (ssize_t) hlen ||
		memcmp(hbuf, header, hlen) != 0)
	{
		/* stale, a hash collision or a foreign file: not ours to answer with */
		reader_cleanup(r);
		return NULL;
	}
	pfree(hbuf);
	pfree(header);
	r->off = hlen;
	r->buf = MemoryContextAlloc(cxt, REPLAY_CHUNK);
	return r;
}

/*
 * Pass the listing's next page to sink, in chunks, if it answers this
 * request and its body is at most max_bytes.  A sink refusal stops the
 * replay (the caller judges the parse as for a network response).
 * Interruptible between chunks.
 */
ArxivReplayStatus
arxiv_cache_replay(ArxivCacheReader *r, const char *url, const char *postfields,
				   int64 max_bytes, ArxivSinkFn sink, void *sink_arg,
				   int64 *bytes)
{
	char	   *req = request_text(url, postfields);
	size_t		reqlen = strlen(req);
	char	   *reqbuf;
	ListingPage	ph;
	ssize_t		n;
	off_t		off;
	off_t		end;
	bool		same;

	*bytes = 0;
	if (r == NULL || r->fd < 0)
		return REPLAY_END;
	n = pread(r->fd, &ph, sizeof(ph), r->off);
	if (n == 0)
		return REPLAY_END;
	if (n != sizeof(ph) || memcmp(ph.tag, "PAGE", 4) != 0 || ph.reqlen != reqlen)
		return REPLAY_MISMATCH;
	reqbuf = palloc(reqlen + 1);
	same = pread(r->fd, reqbuf, reqlen, r->off + sizeof(ph)) == (ssize_t) reqlen &&
		memcmp(reqbuf, req, reqlen) == 0;
	pfree(reqbuf);
	pfree(req);
	if (!same)
		return REPLAY_MISMATCH;
	if (max_bytes > 0 && ph.bodylen > (uint64) max_bytes)
		return REPLAY_TOO_LARGE;

	off = r->off + sizeof(ph) + reqlen;
	end = off + ph.bodylen;
	while (off < end)
	{
		CHECK_FOR_INTERRUPTS();
		n = pread(r->fd, r->buf, Min(end - off, REPLAY_CHUNK), off);
		if (n <= 0)
			return REPLAY_MISMATCH; /* cut short: not a file we wrote */
		off += n;
		*bytes += n;
		if (sink(sink_arg, r->buf, n) != (size_t) n)
			break;
	}
	r->off = end;
	return REPLAY_OK;
}

/* Remove the listing being replayed: it did not answer what its key says. */
void
arxiv_cache_discard(ArxivCacheReader *r)
{
	if (r != NULL)
		(void) unlink(r->path);
}

/* a listing being written to its temporary file, page by page */
struct ArxivCacheWriter
{
	int			fd;
	bool		failed;			/* the listing will not be kept */
	off_t		off;			/* end of the pages kept */
	off_t		page_off;		/* the current page's record, -1 if none */
	off_t		page_body;		/* ... its body */
	off_t		page_end;		/* ... its end so far */
	int64		limit;
	double		ttl;
	char		tmp_path[MAXPGPATH];
	char		final_path[MAXPGPATH];
	MemoryContextCallback cleanup;
};

static void
writer_cleanup(void *arg)
{
	ArxivCacheWriter *w = (ArxivCacheWriter *) arg;

	if (w->fd >= 0)
	{
		arxiv_close_external(w->fd);
		w->fd = -1;
		(void) unlink(w->tmp_path);
	}
}

/* Give up on the listing (never throws: called from the libcurl callback). */
static void
writer_fail(ArxivCacheWriter *w)
{
	w->failed = true;
	writer_cleanup(w);
}

static void
writer_put(ArxivCacheWriter *w, const void *data, size_t len)
{
	if (w->failed)
		return;
	if (w->page_end + (int64) len > w->limit ||
		pwrite(w->fd, data, len, w->page_end) != (ssize_t) len)
	{
		/* larger than the whole cache may be: not cached */
		writer_fail(w);
		return;
	}
	w->page_end += len;
}

/*
 * Start caching a listing; NULL when caching is off.  The temporary file is
 * removed when cxt is reset, unless arxiv_cache_commit renamed it first.
 */
ArxivCacheWriter *
arxiv_cache_begin(MemoryContext cxt, Oid role, const char *key, double ttl)
{
	ArxivCacheWriter *w;
	char		hex[33];
	static int	seq = 0;
	char	   *header;

	if (ttl <= 0 || cache_limit() <= 0 || !make_cache_dirs())
		return NULL;
	w = MemoryContextAllocZero(cxt, sizeof(ArxivCacheWriter));
	w->fd = -1;
	w->page_off = -1;
	w->ttl = ttl;
	w->limit = cache_limit();
	w->cleanup.func = writer_cleanup;
	w->cleanup.arg = w;
	MemoryContextRegisterResetCallback(cxt, &w->cleanup);
	cache_key(role, key, hex);
	snprintf(w->final_path, MAXPGPATH, "%s/%s.atom", CACHE_DIR, hex);
	snprintf(w->tmp_path, MAXPGPATH, "%s/tmp.%d.%d", CACHE_DIR, MyProcPid, seq++);
	w->fd = arxiv_open_external(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC);
	if (w->fd < 0)
		return NULL;			/* no cache, no failure */
	header = cache_header(role, key);
	writer_put(w, header, strlen(header));
	w->off = w->page_end;
	pfree(header);
	return w->failed ? NULL : w;
}

/* Start the record of a page that answers this request. */
void
arxiv_cache_page_begin(ArxivCacheWriter *w, const char *url,
					   const char *postfields)
{
	char	   *req;
	ListingPage	ph;

	if (w == NULL || w->failed)
		return;
	req = request_text(url, postfields);
	memcpy(ph.tag, "PAGE", 4);
	ph.reqlen = strlen(req);
	ph.bodylen = 0;
	w->page_off = w->page_end = w->off;
	writer_put(w, &ph, sizeof(ph));
	writer_put(w, req, ph.reqlen);
	w->page_body = w->page_end;
	pfree(req);
}

/* Append body bytes of the page; never throws (called from libcurl). */
void
arxiv_cache_write(ArxivCacheWriter *w, const char *data, size_t len)
{
	if (w == NULL || w->failed || w->page_off < 0)
		return;
	writer_put(w, data, len);
}

/*
 * End the page's record: keep it (the response was complete and valid), or
 * not (the next attempt's record takes its place).
 */
void
arxiv_cache_page_end(ArxivCacheWriter *w, bool keep)
{
	ListingPage	ph;

	if (w == NULL || w->failed || w->page_off < 0)
		return;
	if (keep)
	{
		memcpy(ph.tag, "PAGE", 4);
		ph.reqlen = w->page_body - w->page_off - sizeof(ph);
		ph.bodylen = w->page_end - w->page_body;
		if (pwrite(w->fd, &ph, sizeof(ph), w->page_off) != sizeof(ph))
		{
			writer_fail(w);
			return;
		}
		w->off = w->page_end;
	}
	w->page_off = -1;
}

/*
 * Keep the listing: the scan asked for every page it will ever ask for
 * (see the caller).  Its pages are exactly the kept records.
 */
void
arxiv_cache_commit(ArxivCacheWriter *w)
{
	bool		ok;

	if (w == NULL || w->failed || w->fd < 0)
		return;
	ok = ftruncate(w->fd, w->off) == 0;
	arxiv_close_external(w->fd);
	w->fd = -1;
	if (!ok)
	{
		(void) unlink(w->tmp_path);
		return;
	}
	install_file(w->tmp_path, w->final_path, w->off, w->ttl);
}

/* ---------------------------------------------------------------------
 * Learned estimates
 * ---------------------------------------------------------------------
 */

static void
total_path(Oid role, const char *base_url, const char *search_query, char *path)
{
	char		hex[33];
	char	   *key = psprintf("total\n%s\n%s", base_url, search_query);

	cache_key(role, key, hex);
	snprintf(path, MAXPGPATH, "%s/%s.total", CACHE_DIR, hex);
	pfree(key);
}

static char *
total_content(Oid role, const char *base_url, const char *search_query,
			  int64 total)
{
	return psprintf(INT64_FORMAT "\nrole %u\n%s\n%s", total, role, base_url,
					search_query);
}

/* Remember a search's totalResults for role; best effort, never fails. */
void
arxiv_learned_store(Oid role, const char *base_url, const char *search_query,
					int64 total)
{
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];
	char	   *content = total_content(role, base_url, search_query, total);
	size_t		len = strlen(content);
	int			fd;
	bool		ok;

	if (cache_limit() < (int64) len || !make_cache_dirs())
		return;
	total_path(role, base_url, search_query, path);
	snprintf(tmp, sizeof(tmp), "%s/tmp.%d.total", CACHE_DIR, MyProcPid);
	fd = arxiv_open_external(tmp, O_WRONLY | O_CREAT | O_TRUNC);
	if (fd < 0)
		return;
	ok = write(fd, content, len) == (ssize_t) len;
	arxiv_close_external(fd);
	if (ok)
		install_file(tmp, path, len, 0);
	else
		(void) unlink(tmp);
	pfree(content);
}

/* The totalResults role learned for a search within ttl seconds, if any. */
bool
arxiv_learned_lookup(Oid role, const char *base_url, const char *search_query,
					 double ttl, int64 *total)
{
	char		path[MAXPGPATH];
	char	   *expected;
	char	   *buf;
	struct stat st;
	int			fd;
	bool		found = false;

	total_path(role, base_url, search_query, path);
	fd = arxiv_open_external(path, O_RDONLY);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || difftime(time(NULL), st.st_mtime) > ttl ||
		st.st_size > 1024 * 1024)
	{
		arxiv_close_external(fd);
		return false;
	}
	buf = palloc(st.st_size + 1);
	if (pread(fd, buf, st.st_size, 0) == st.st_size)
	{
		char	   *end;

		buf[st.st_size] = '\0';
		*total = strtoi64(buf, &end, 10);
		/* the whole content must match: a hash collision is not a hit */
		expected = total_content(role, base_url, search_query, *total);
		found = *total >= 0 && strcmp(buf, expected) == 0;
		pfree(expected);
	}
	arxiv_close_external(fd);
	pfree(buf);
	return found;
}

PG_FUNCTION_INFO_V1(arxiv_fdw_clear_cache);

/*
 * Remove every cached listing and learned estimate; returns how many
 * listings were removed.
 */
Datum
arxiv_fdw_clear_cache(PG_FUNCTION_ARGS)
{
	DIR		   *dir;
	struct dirent *de;
	int64		removed = 0;
	CacheState	cs;
	int			fd;

	if (!make_cache_dirs())
		PG_RETURN_INT64(0);
	fd = lock_state(&cs);
	dir = AllocateDir(CACHE_DIR);
	while ((de = ReadDir(dir, CACHE_DIR)) != NULL)
	{
		char		path[MAXPGPATH];

		CHECK_FOR_INTERRUPTS();
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CACHE_DIR, de->d_name);
		if (unlink(path) == 0 && strstr(de->d_name, ".atom") != NULL)
			removed++;
	}
	FreeDir(dir);
	if (fd >= 0)
	{
		cs.bytes = 0;
		cs.last_sweep = (double) time(NULL);
		unlock_state(fd, &cs);
	}
	PG_RETURN_INT64(removed);
}
