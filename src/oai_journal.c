/*-------------------------------------------------------------------------
 *
 * oai_journal.c
 *	  The journal of an OAI-PMH list, so that a harvest interrupted part-way
 *	  (an error, a cancel, a statement timeout) resumes where it stopped.
 *
 * A cache refresh harvests inside one transaction, so that the cache is
 * never half-written; what it fetched before an interruption is rolled back
 * with it.  A big set takes hours at arXiv's one request every 3 seconds,
 * and starting again from the first page each time could keep such a
 * refresh from ever finishing.  So, when arxiv_fdw.resume_harvests is on
 * (cache creations and refreshes turn it on), every page of a ListRecords
 * list is also written to a file outside the transaction:
 *
 *	arxiv_fdw/oai_journal/<key>/request		the list's first request and role
 *	arxiv_fdw/oai_journal/<key>/NNNNNN.MMMMMMMM.xml
 *											page NNNNNN's body, and the
 *											greatest datestamp so far (hex)
 *
 * How a later scan of the same role and first request resumes is decided
 * in oai_scan.c (resume_listing, probe_changes): it asks only for what is
 * dated from the journal's greatest datestamp on, then which papers changed
 * since the journal started, then replays the journal's pages, newest
 * first, dropping the papers it has already returned and those changed
 * since.  The journal only keeps pages, and when it started.
 *
 * A journal is abandoned after OAI_JOURNAL_MAX_AGE; a scan that reaches the
 * end of its harvest removes the journals of its lists.  The request file
 * is locked (flock) while a scan uses the journal: a second scan of the
 * same list meanwhile harvests without one.  A page is written to a
 * temporary file, flushed to disk and renamed into place, so a page file is
 * whole or absent; pages after a missing one are removed when the journal
 * is opened, so the pages kept always run from the first without a gap.
 * Failing to write a journal never fails the harvest: it warns and goes on
 * without.
 *
 * IDENTIFICATION
 *	  src/oai_journal.c
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "oai_journal.h"

#define JOURNAL_SUBDIR		"oai_journal"
#define JOURNAL_DIR			ARXIV_DATA_DIR "/" JOURNAL_SUBDIR
/* pages older than this are not replayed */
#define OAI_JOURNAL_MAX_AGE (7 * 86400)
#define JOURNAL_READ_SIZE	65536
/* "000012.00002a3f.xml" */
#define PAGE_NAME_LEN		19

struct OaiJournal
{
	char		dir[MAXPGPATH];
	int			lock_fd;		/* the request file, flock'ed; -1 once closed */
	int			pages;			/* whole pages on disk: 1 .. pages */
	int32	   *marks;			/* marks[i]: page i + 1's mark */
	int			maxpages;
	int			write_fd;		/* the page being written, or -1 */
	bool		broken;			/* a write failed: no more pages */
	time_t		started;		/* when its first page was written, about */
	MemoryContext cxt;
	MemoryContextCallback cleanup;
};

static void
page_path(const OaiJournal *j, int page, char *path)
{
	snprintf(path, MAXPGPATH, "%s/%06d.%08x.xml", j->dir, page,
			 (uint32) j->marks[page - 1]);
}

static void
tmp_path(const OaiJournal *j, char *path)
{
	snprintf(path, MAXPGPATH, "%s/next.tmp", j->dir);
}

/* Closes the descriptors, which releases the lock: on End, ReScan, abort. */
static void
journal_cleanup(void *arg)
{
	OaiJournal *j = arg;
	char		path[MAXPGPATH];

	if (j->write_fd >= 0)
	{
		arxiv_close_external(j->write_fd);
		j->write_fd = -1;
		tmp_path(j, path);
		(void) unlink(path);
	}
	if (j->lock_fd >= 0)
	{
		arxiv_close_external(j->lock_fd);
		j->lock_fd = -1;
	}
}

/* The request file's content: who asked, and what. */
static char *
request_text(const char *first_url)
{
	return psprintf("role %u\n%s\n", GetUserId(), first_url);
}

/* A page file's number and mark, from its name; false if it is not one. */
static bool
parse_page_name(const char *name, int *page, int32 *mark)
{
	char	   *end;
	unsigned long m;

	if (strlen(name) != PAGE_NAME_LEN || name[6] != '.' ||
		strcmp(name + 15, ".xml") != 0 ||
		strspn(name, "0123456789") != 6 ||
		strspn(name + 7, "0123456789abcdef") != 8)
		return false;
	*page = atoi(name);
	m = strtoul(name + 7, &end, 16);
	*mark = (int32) (uint32) m;
	return *page > 0;
}

static void
set_mark(OaiJournal *j, int page, int32 mark)
{
	if (page > j->maxpages)
	{
		int			newmax = Max(page, j->maxpages * 2);

		j->marks = j->marks
			? repalloc(j->marks, sizeof(int32) * newmax)
			: MemoryContextAlloc(j->cxt, sizeof(int32) * newmax);
		j->maxpages = newmax;
	}
	j->marks[page - 1] = mark;
}

typedef struct PageName
{
	int			page;
	int32		mark;
} PageName;

static int
page_name_cmp(const void *a, const void *b)
{
	const PageName *x = a;
	const PageName *y = b;

	return (x->page > y->page) - (x->page < y->page);
}

/*
 * Read the pages on disk: those numbered from 1 without a gap are the
 * journal's, up to keep_up_to; every other page file and a leftover
 * temporary file are removed.
 */
static void
load_pages(OaiJournal *j, int keep_up_to)
{
	char		path[MAXPGPATH];
	DIR		   *dir;
	struct dirent *de;
	PageName   *found = NULL;
	int			nfound = 0;
	int			maxfound = 0;
	int			n = 0;

	dir = AllocateDir(j->dir);
	while ((de = ReadDirExtended(dir, j->dir, LOG)) != NULL)
	{
		PageName	pn;

		if (!parse_page_name(de->d_name, &pn.page, &pn.mark))
			continue;
		if (nfound == maxfound)
		{
			maxfound = Max(16, maxfound * 2);
			found = found ? repalloc(found, sizeof(PageName) * maxfound)
				: palloc(sizeof(PageName) * maxfound);
		}
		found[nfound++] = pn;
	}
	FreeDir(dir);
	if (nfound > 0)
		qsort(found, nfound, sizeof(PageName), page_name_cmp);
	for (int i = 0; i < nfound && n < keep_up_to; i++)
		if (found[i].page == n + 1)
			set_mark(j, ++n, found[i].mark);
	j->pages = n;

	dir = AllocateDir(j->dir);
	while ((de = ReadDirExtended(dir, j->dir, LOG)) != NULL)
	{
		PageName	pn;

		if ((parse_page_name(de->d_name, &pn.page, &pn.mark) &&
			 (pn.page > n || pn.mark != j->marks[pn.page - 1])) ||
			strcmp(de->d_name, "next.tmp") == 0)
		{
			snprintf(path, MAXPGPATH, "%s/%s", j->dir, de->d_name);
			(void) unlink(path);
		}
	}
	FreeDir(dir);
	if (found)
		pfree(found);
}

/*
 * Claim the journal whose request file is open as lock_fd: true if it is
 * ours to use, its request being this one (an empty file is a new journal).
 * An old journal is emptied first.
 */
static bool
claim_journal(OaiJournal *j, const char *request)
{
	char		path[MAXPGPATH];
	struct stat fst;
	struct stat pst;
	char	   *buf;
	ssize_t		got;
	size_t		len = strlen(request);
	bool		same;

	snprintf(path, MAXPGPATH, "%s/request", j->dir);
	if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return false;
	/* the journal may have been removed between open and flock */
	if (fstat(j->lock_fd, &fst) != 0 || stat(path, &pst) != 0 ||
		fst.st_ino != pst.st_ino || fst.st_dev != pst.st_dev)
		return false;
	buf = palloc(len + 1);
	got = pread(j->lock_fd, buf, len + 1, 0);
	same = got == (ssize_t) len && memcmp(buf, request, len) == 0;
	pfree(buf);
	/* another request under the same key (a hash collision) is left alone */
	if (got > 0 && !same)
		return false;
	if (same && (double) time(NULL) - (double) fst.st_mtime < OAI_JOURNAL_MAX_AGE)
	{
		/* the request file is written when the journal starts, only then */
		j->started = fst.st_mtime;
		load_pages(j, INT_MAX);
		return true;
	}
	load_pages(j, 0);
	j->started = time(NULL);
	return ftruncate(j->lock_fd, 0) == 0 &&
		pwrite(j->lock_fd, request, len, 0) == (ssize_t) len;
}

/*
 * Remove the journals nobody resumed within OAI_JOURNAL_MAX_AGE (a query
 * run once with arxiv_fdw.resume_harvests on, interrupted and never run
 * again), so that they do not keep disk space forever.  Done at most once
 * an hour per session, when a journal is opened; a journal in use is
 * locked and skipped.
 */
static void
sweep_old_journals(void)
{
	static time_t last_sweep = 0;
	time_t		now = time(NULL);
	DIR		   *dir;
	struct dirent *de;

	if (now - last_sweep < 3600)
		return;
	last_sweep = now;
	dir = AllocateDir(JOURNAL_DIR);
	while ((de = ReadDirExtended(dir, JOURNAL_DIR, LOG)) != NULL)
	{
		OaiJournal	j;
		char		path[MAXPGPATH];
		struct stat st;

		if (strlen(de->d_name) != 16 ||
			strspn(de->d_name, "0123456789abcdef") != 16)
			continue;
		memset(&j, 0, sizeof(j));
		j.cxt = CurrentMemoryContext;
		j.write_fd = -1;
		snprintf(j.dir, MAXPGPATH, "%s/%s", JOURNAL_DIR, de->d_name);
		snprintf(path, MAXPGPATH, "%s/request", j.dir);
		j.lock_fd = arxiv_open_external(path, O_RDONLY);
		if (j.lock_fd < 0)
			continue;
		if (flock(j.lock_fd, LOCK_EX | LOCK_NB) == 0 &&
			fstat(j.lock_fd, &st) == 0 &&
			(double) now - (double) st.st_mtime >= OAI_JOURNAL_MAX_AGE)
			oai_journal_remove(&j);
		journal_cleanup(&j);
		if (j.marks)
			pfree(j.marks);
	}
	FreeDir(dir);
}

/*
 * The journal of the list whose first request is first_url, locked for
 * this scan until cxt is reset; NULL if there is none to use (another scan
 * holds it, or the data directory cannot hold one).
 */
OaiJournal *
oai_journal_open(const char *first_url, MemoryContext cxt)
{
	char	   *request = request_text(first_url);
	uint64		key;
	OaiJournal *j;
	char		path[MAXPGPATH];

	if (!arxiv_make_data_dir(JOURNAL_SUBDIR, true))
		return NULL;
	sweep_old_journals();
	key = hash_bytes_extended((const unsigned char *) request, strlen(request),
							  0x6f61696a);
	j = MemoryContextAllocZero(cxt, sizeof(OaiJournal));
	j->cxt = cxt;
	j->write_fd = -1;
	snprintf(j->dir, MAXPGPATH, "%s/%016llx", JOURNAL_DIR, (unsigned long long) key);
	if (mkdir(j->dir, S_IRWXU) != 0 && errno != EEXIST)
		return NULL;
	snprintf(path, MAXPGPATH, "%s/request", j->dir);
	j->lock_fd = arxiv_open_external(path, O_RDWR | O_CREAT);
	if (j->lock_fd < 0)
		return NULL;
	j->cleanup.func = journal_cleanup;
	j->cleanup.arg = j;
	MemoryContextRegisterResetCallback(cxt, &j->cleanup);
	if (!claim_journal(j, request))
	{
		journal_cleanup(j);
		return NULL;
	}
	return j;
}

/* Whole pages the journal holds: pages 1 .. this. */
int
oai_journal_pages(const OaiJournal *j)
{
	return j->pages;
}

/*
 * When the journal started: every page was fetched since, so a paper
 * changed after its page was fetched has a datestamp of that day or later.
 */
time_t
oai_journal_started(const OaiJournal *j)
{
	return j->started;
}

/* The mark of the last page, or OAI_JOURNAL_NO_MARK without pages. */
int32
oai_journal_mark(const OaiJournal *j)
{
	return j->pages > 0 ? j->marks[j->pages - 1] : OAI_JOURNAL_NO_MARK;
}

/*
 * Pass page "page" to feed, a read at a time, until it returns false.
 * Returns false if the file could not be read to its end.
 */
bool
oai_journal_replay(OaiJournal *j, int page,
				   bool (*feed) (void *arg, const char *data, size_t len),
				   void *arg)
{
	char		path[MAXPGPATH];
	char	   *buf;
	int			fd;
	volatile ssize_t got = 0;

	Assert(page >= 1 && page <= j->pages);
	page_path(j, page, path);
	fd = arxiv_open_external(path, O_RDONLY);
	if (fd < 0)
		return false;
	buf = palloc(JOURNAL_READ_SIZE);
	PG_TRY();
	{
		for (;;)
		{
			got = read(fd, buf, JOURNAL_READ_SIZE);
			if (got <= 0)
				break;
			CHECK_FOR_INTERRUPTS();
			if (!feed(arg, buf, (size_t) got))
				break;
		}
	}
	PG_FINALLY();
	{
		arxiv_close_external(fd);
	}
	PG_END_TRY();
	pfree(buf);
	return got >= 0;
}

static void
write_failed(OaiJournal *j)
{
	char		path[MAXPGPATH];

	tmp_path(j, path);
	ereport(WARNING,
			(errcode_for_file_access(),
			 errmsg("could not write the journal of an OAI-PMH harvest: %m"),
			 errdetail("Writing \"%s\" failed.  The harvest goes on, but if it is interrupted it will not resume from this page.",
					   path)));
	if (j->write_fd >= 0)
	{
		arxiv_close_external(j->write_fd);
		j->write_fd = -1;
	}
	(void) unlink(path);
	j->broken = true;
}

/* Start writing the next page; false if the journal takes no more. */
bool
oai_journal_begin_page(OaiJournal *j)
{
	char		path[MAXPGPATH];

	if (j->broken || j->lock_fd < 0)
		return false;
	tmp_path(j, path);
	j->write_fd = arxiv_open_external(path, O_WRONLY | O_CREAT | O_TRUNC);
	if (j->write_fd < 0)
	{
		write_failed(j);
		return false;
	}
	return true;
}

/* Append to the page being written; false (and a WARNING) on failure. */
bool
oai_journal_write(OaiJournal *j, const char *data, size_t len)
{
	while (len > 0 && j->write_fd >= 0)
	{
		ssize_t		n = write(j->write_fd, data, len);

		if (n <= 0)
		{
			if (n == 0)
				errno = ENOSPC;
			write_failed(j);
			return false;
		}
		data += n;
		len -= (size_t) n;
	}
	return j->write_fd >= 0;
}

/*
 * The page is whole: flush it and give it its number and mark, the
 * greater of "mark" and the last page's.
 */
void
oai_journal_end_page(OaiJournal *j, int32 mark)
{
	char		from[MAXPGPATH];
	char		to[MAXPGPATH];

	if (j->write_fd < 0)
		return;
	if (pg_fsync(j->write_fd) != 0)
	{
		write_failed(j);
		return;
	}
	arxiv_close_external(j->write_fd);
	j->write_fd = -1;
	if (j->pages > 0)
		mark = Max(mark, j->marks[j->pages - 1]);
	set_mark(j, j->pages + 1, mark);
	tmp_path(j, from);
	page_path(j, j->pages + 1, to);
	if (rename(from, to) != 0)
	{
		write_failed(j);
		return;
	}
	j->pages++;
}

/* The harvest is complete: remove the journal and release it. */
void
oai_journal_remove(OaiJournal *j)
{
	char		path[MAXPGPATH];

	if (j->lock_fd < 0)
		return;
	load_pages(j, 0);
	snprintf(path, MAXPGPATH, "%s/request", j->dir);
	(void) unlink(path);
	(void) rmdir(j->dir);
	journal_cleanup(j);
}
