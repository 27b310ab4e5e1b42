/*-------------------------------------------------------------------------
 *
 * ratelimit.c
 *	  One request at a time, spaced by request_interval, per arXiv host,
 *	  for all sessions of the cluster together.
 *
 * arXiv's Terms of Use count requests per user, not per connection, so the
 * sessions of a cluster must share one budget.  This must work after a plain
 * CREATE EXTENSION, without shared_preload_libraries, so the shared state is
 * two small files per host in the data directory:
 *
 *	- the slot file hands out start times in arrival order: a session takes
 *	  the next free slot (interval after the last one handed out) under a
 *	  short lock, and sleeps until it.  This makes waiting first-come,
 *	  first-served, so a session paging through a long scan cannot starve
 *	  the others, and a cancelled waiter leaves only an unused slot behind.
 *	- the connection file is locked for the whole request ("one connection
 *	  at a time") and holds when the last request started, so that even a
 *	  request delayed past its slot keeps the interval to the previous one.
 *
 * Locks are taken with LOCK_NB in a loop so that waiting stays
 * interruptible; the kernel releases them if the backend dies.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#define RATELIMIT_DIR "arxiv_fdw"

/*
 * arXiv measures on its own clock, after network jitter, and must never see
 * two requests closer than the interval.
 */
#define INTERVAL_MARGIN 0.05

static int	held_fd = -1;		/* the connection file, while we hold it */
static bool held_locked = false;
static double held_since = -1;	/* when our request started; -1: not yet */

static int
open_host_file(const char *host, const char *kind)
{
	char		path[MAXPGPATH];
	int			fd;

	if (mkdir(RATELIMIT_DIR, S_IRWXU) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", RATELIMIT_DIR)));
	/* data directory relative, one file of each kind per host */
	snprintf(path, sizeof(path), "%s/host-%08x.%s", RATELIMIT_DIR,
			 hash_bytes((const unsigned char *) host, strlen(host)), kind);
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

/* Lock fd exclusively, waiting interruptibly. */
static void
lock_interruptibly(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) != 0)
	{
		if (errno != EWOULDBLOCK && errno != EINTR)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not lock an arxiv_fdw rate-limit file: %m")));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 5L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

static double
read_time(int fd)
{
	double		t = 0;

	if (pread(fd, &t, sizeof(t), 0) != sizeof(t))
		t = 0;
	/* a time far ahead means the clock went back: do not wait for it */
	if (t > now_seconds() + 3600)
		t = 0;
	return t;
}

static void
write_time(int fd, double t)
{
	if (pwrite(fd, &t, sizeof(t), 0) != sizeof(t))
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not update an arxiv_fdw rate-limit file: %m")));
}

/*
 * Take the next free start time for host, in arrival order.  On an error
 * (a cancel while waiting for the lock), transaction abort closes the file
 * and so releases the lock.
 */
static double
reserve_slot(const char *host, double interval)
{
	int			fd = open_host_file(host, "slots");
	double		slot;

	lock_interruptibly(fd);
	slot = Max(now_seconds(), read_time(fd) + spacing(interval));
	write_time(fd, slot);
	CloseTransientFile(fd);		/* releases the lock */
	return slot;
}

/*
 * Wait until this session may send the next request to host, and hold the
 * host's connection until arxiv_ratelimit_release.  Returns the seconds
 * waited.  Interruptible; the caller must call arxiv_ratelimit_release on
 * every path (PG_FINALLY), also when this throws.
 */
double
arxiv_ratelimit_acquire(const char *host, double interval)
{
	double		start = now_seconds();
	double		not_before;

	Assert(held_fd < 0);
	held_since = -1;
	if (interval > 0)
	{
		double		slot = reserve_slot(host, interval);

		if (slot > now_seconds())
			arxiv_interruptible_sleep(slot - now_seconds());
	}
	held_fd = open_host_file(host, "lock");
	lock_interruptibly(held_fd);
	held_locked = true;
	not_before = read_time(held_fd) + spacing(interval);
	if (not_before > now_seconds())
		arxiv_interruptible_sleep(not_before - now_seconds());
	held_since = now_seconds();
	return held_since - start;
}

/*
 * Release the connection taken by arxiv_ratelimit_acquire.  Only a request
 * that started records its start time: a waiter cancelled before that
 * leaves the file as it found it.  Safe to call when nothing is held.
 */
void
arxiv_ratelimit_release(double interval)
{
	if (held_fd < 0)
		return;
	if (held_locked && held_since >= 0)
		write_time(held_fd, held_since);
	if (held_locked)
		(void) flock(held_fd, LOCK_UN);
	CloseTransientFile(held_fd);
	held_fd = -1;
	held_locked = false;
	held_since = -1;
}
