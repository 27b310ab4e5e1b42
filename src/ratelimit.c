/*-------------------------------------------------------------------------
 *
 * ratelimit.c
 *	  One request at a time, spaced by request_interval, per host, for all
 *	  sessions of the cluster together.
 *
 * arXiv's Terms of Use count requests per user, not per connection, so the
 * sessions of a cluster must share one budget.  This must work after a plain
 * CREATE EXTENSION, without shared_preload_libraries, so it is built from
 * what the core always has:
 *
 *	- the queue is a heavyweight lock of the lock manager, one per host key,
 *	  in no database (so all databases share it): its waiters are served in
 *	  arrival order, waiting is interruptible (cancel, statement_timeout,
 *	  lock_timeout), shows in pg_locks and pg_stat_activity, and a waiter
 *	  that is cancelled or dies leaves nothing behind;
 *	- a small file per host key in the data directory holds the start time
 *	  of the last request, and nothing else.  It is read and written only by
 *	  the lock's holder, and written when a request starts.
 *
 * Hosts are keyed by arxiv_url_key: every arXiv host is one key, with the
 * floor ARXIV_MIN_REQUEST_INTERVAL whatever the options say.
 *
 * Fairness: a request waits max(its own request_interval, the floor) after
 * the last request to the host, and never writes its interval into the
 * shared state, so one server's interval cannot delay another server's
 * requests.  The holder of the lock sleeps there (keeping its place in the
 * queue) only for a wait every request needs anyway: up to the floor, or its
 * whole interval when that is no longer than arXiv's 3 s.  A longer wait is
 * done without the lock, letting others pass; it ends at the latest one own
 * interval after the request began waiting, so a busy host cannot starve it.
 *
 * The host is released as soon as the transfer ends: parsing the body and
 * converting entries (domains, input functions: user-defined code) happen
 * after the release.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/lock.h"

#define RATELIMIT_DIR ARXIV_DATA_DIR

/* the fourth field of the lock tags: user advisory locks use 1 and 2 */
#define RATELIMIT_LOCK_CLASS 0x4158

/*
 * arXiv measures on its own clock, after network jitter, and must never see
 * two requests closer than the interval.
 */
#define INTERVAL_MARGIN 0.05

static bool lock_held = false;
static LOCKTAG held_tag;

static uint64
key_hash(const char *key)
{
	return hash_bytes_extended((const unsigned char *) key, strlen(key), 0);
}

static int
open_time_file(const char *key)
{
	char		path[MAXPGPATH];
	int			fd;

	arxiv_make_data_dir(NULL, false);
	/* data directory relative, one file per host key */
	snprintf(path, sizeof(path), "%s/host-%016llx.last", RATELIMIT_DIR,
			 (unsigned long long) key_hash(key));
	fd = OpenTransientFile(path, O_RDWR | O_CREAT | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	return fd;
}

static double
now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static double
spacing(double interval)
{
	return interval > 0 ? interval + INTERVAL_MARGIN : 0;
}

/* When the last request to the host started; 0 if never. */
static double
read_last(const char *key)
{
	int			fd = open_time_file(key);
	double		t = 0;

	if (pread(fd, &t, sizeof(t), 0) != sizeof(t) || !(t > 0))
		t = 0;
	CloseTransientFile(fd);
	/* a time far ahead means the clock went back: do not wait for it */
	if (t > now_seconds() + 3600)
		t = 0;
	return t;
}

static void
write_last(const char *key, double t)
{
	int			fd = open_time_file(key);

	if (pwrite(fd, &t, sizeof(t), 0) != sizeof(t))
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not update an arxiv_fdw rate-limit file: %m")));
	CloseTransientFile(fd);
}

static void
sleep_until(double t)
{
	double		now = now_seconds();

	if (t > now)
		arxiv_interruptible_sleep(t - now);
}

/*
 * Wait until this session may send the next request to the host of key,
 * and hold the host until arxiv_ratelimit_release.  Returns the seconds
 * waited.  Interruptible; the caller must call arxiv_ratelimit_release on
 * every path (PG_FINALLY), also when this throws.
 */
double
arxiv_ratelimit_acquire(const char *key, double interval)
{
	double		start = now_seconds();
	double		floor = strcmp(key, ARXIV_RATELIMIT_KEY) == 0 ?
		ARXIV_MIN_REQUEST_INTERVAL : 0;
	double		own = spacing(Max(interval, floor));
	double		hold = own <= spacing(ARXIV_MIN_REQUEST_INTERVAL) ?
		own : spacing(floor);
	uint64		h = key_hash(key);
	double		now;

	Assert(!lock_held);
	SET_LOCKTAG_ADVISORY(held_tag, InvalidOid, (uint32) (h >> 32), (uint32) h,
						 RATELIMIT_LOCK_CLASS);
	for (;;)
	{
		double		last;
		double		not_before;

		(void) LockAcquire(&held_tag, ExclusiveLock, false, false);
		lock_held = true;
		last = read_last(key);
		/* every request waits this long after the last: keep our place */
		sleep_until(last + hold);
		not_before = Min(last + own, start + own);
		now = now_seconds();
		if (now >= not_before)
			break;
		/* the rest of our own interval is ours alone: let others pass */
		arxiv_ratelimit_release();
		sleep_until(not_before);
	}
	write_last(key, now);
	return now - start;
}

/*
 * Release the host taken by arxiv_ratelimit_acquire.  Safe to call when
 * nothing is held (a waiter cancelled in the lock queue holds nothing: the
 * transaction's abort takes it out of the queue).
 */
void
arxiv_ratelimit_release(void)
{
	if (!lock_held)
		return;
	lock_held = false;
	(void) LockRelease(&held_tag, ExclusiveLock, false);
}
