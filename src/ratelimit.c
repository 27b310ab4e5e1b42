/*-------------------------------------------------------------------------
 *
 * ratelimit.c
 *	  One request at a time, spaced by request_interval, per arXiv host,
 *	  for all sessions of the cluster together.
 *
 * arXiv's Terms of Use count requests per user, not per connection, so the
 * sessions of a cluster must share one budget.  This must work after a plain
 * CREATE EXTENSION, without shared_preload_libraries, so the shared state is
 * a small file per host in the data directory: an exclusive flock on it is
 * "the connection", and it holds the time before which the next request may
 * not start.  The lock is taken with LOCK_NB in a loop so that waiting stays
 * interruptible; the kernel releases it if the backend dies.
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

static int	held_fd = -1;
static double held_since;		/* when the held slot's request may start */

static int
open_lock_file(const char *host)
{
	char		path[MAXPGPATH];
	int			fd;

	if (mkdir(RATELIMIT_DIR, S_IRWXU) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", RATELIMIT_DIR)));
	/* data directory relative, one file per host */
	snprintf(path, sizeof(path), "%s/host-%08x.lock", RATELIMIT_DIR,
			 hash_bytes((const unsigned char *) host, strlen(host)));
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

/*
 * Wait until this session may send the next request to host, and hold the
 * host's slot until arxiv_ratelimit_release.  Returns the seconds waited.
 * Interruptible; on ERROR the slot is released by arxiv_ratelimit_release
 * called from the caller's PG_FINALLY.
 */
double
arxiv_ratelimit_acquire(const char *host, double interval)
{
	double		start = now_seconds();
	double		not_before = 0;

	Assert(held_fd < 0);
	held_fd = open_lock_file(host);
	while (flock(held_fd, LOCK_EX | LOCK_NB) != 0)
	{
		if (errno != EWOULDBLOCK && errno != EINTR)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not lock the arxiv_fdw rate-limit file: %m")));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	if (pread(held_fd, &not_before, sizeof(not_before), 0) != sizeof(not_before))
		not_before = 0;
	if (not_before > now_seconds() + interval + 1)
		not_before = now_seconds() + interval;	/* clock went back */
	if (not_before > now_seconds())
		arxiv_interruptible_sleep(not_before - now_seconds());
	held_since = now_seconds();
	return held_since - start;
}

/*
 * Release the slot taken by arxiv_ratelimit_acquire.  The next request may
 * start interval seconds after this one started: arXiv counts requests per
 * interval, and the lock already kept connections to one at a time.  Safe
 * to call when nothing is held.
 */
void
arxiv_ratelimit_release(double interval)
{
	/*
	 * A little margin: arXiv measures on its own clock, after network
	 * jitter, and must never see two requests closer than the interval.
	 */
	double		not_before = held_since + (interval > 0 ? interval + 0.05 : 0);

	if (held_fd < 0)
		return;
	if (pwrite(held_fd, &not_before, sizeof(not_before), 0) != sizeof(not_before))
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not update the arxiv_fdw rate-limit file: %m")));
	(void) flock(held_fd, LOCK_UN);
	CloseTransientFile(held_fd);
	held_fd = -1;
}
