/*-------------------------------------------------------------------------
 *
 * http.c
 *	  The HTTP transport of arxiv_fdw: the only file that includes libcurl.
 *
 * Rules kept here:
 *	- A transfer is driven through the multi interface in short polls, and
 *	  CHECK_FOR_INTERRUPTS() runs between polls, so Ctrl-C, pg_cancel_backend
 *	  and statement_timeout stop a transfer within a fraction of a second.
 *	- libcurl never sees a longjmp: callbacks only copy data to the sink and
 *	  return; errors are thrown after curl has returned.  The handles live
 *	  in a memory context whose reset callback frees them, so an ERROR
 *	  anywhere in the scan releases them.
 *	- Only http and https, also for redirects; TLS verification stays on;
 *	  the response size is bounded.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <math.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

struct ArxivHttp
{
	CURLM	   *multi;
	CURL	   *easy;
	struct curl_slist *headers;
	int64		max_bytes;
	double		timeout;
	/* per transfer */
	ArxivSinkFn sink;
	void	   *sink_arg;
	ArxivHttpResult *result;
	MemoryContextCallback cleanup;
};

static bool curl_initialized = false;

static void
http_cleanup(void *arg)
{
	ArxivHttp  *http = (ArxivHttp *) arg;

	if (http->multi && http->easy)
		curl_multi_remove_handle(http->multi, http->easy);
	if (http->easy)
		curl_easy_cleanup(http->easy);
	if (http->multi)
		curl_multi_cleanup(http->multi);
	if (http->headers)
		curl_slist_free_all(http->headers);
	http->easy = NULL;
	http->multi = NULL;
	http->headers = NULL;
}

static size_t
write_callback(char *data, size_t size, size_t nmemb, void *arg)
{
	ArxivHttp  *http = (ArxivHttp *) arg;
	size_t		len = size * nmemb;

	http->result->bytes += len;
	if (http->result->bytes > http->max_bytes)
	{
		http->result->too_large = true;
		return 0;				/* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (http->sink(http->sink_arg, data, len) != len)
		return 0;
	return len;
}

/* Retry-After in seconds (the HTTP-date form is treated as absent) */
static size_t
header_callback(char *data, size_t size, size_t nmemb, void *arg)
{
	ArxivHttp  *http = (ArxivHttp *) arg;
	size_t		len = size * nmemb;

	if (len > 12 && pg_strncasecmp(data, "Retry-After:", 12) == 0)
	{
		char		buf[32];
		size_t		n = Min(len - 12, sizeof(buf) - 1);
		char	   *end;
		double		secs;

		memcpy(buf, data + 12, n);
		buf[n] = '\0';
		secs = strtod(buf, &end);
		if (end != buf && secs >= 0)
			http->result->retry_after = Min(secs, 3600);
	}
	return len;
}

static void
set_option_failed(CURLcode rc, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("could not configure libcurl"),
			 errdetail("Setting %s failed: %s.", what, curl_easy_strerror(rc))));
}

#define SETOPT(h, opt, val) \
	do { CURLcode rc_ = curl_easy_setopt((h), (opt), (val)); \
		 if (rc_ != CURLE_OK) set_option_failed(rc_, #opt); } while (0)

/*
 * Create the HTTP client of a scan in cxt.  Its libcurl handles are freed
 * when cxt is reset or deleted, also on error.
 */
ArxivHttp *
arxiv_http_create(MemoryContext cxt, const ArxivOptions *opts)
{
	ArxivHttp  *http = MemoryContextAllocZero(cxt, sizeof(ArxivHttp));
	char		ua[512];
	long		timeout_ms = (long) (opts->timeout * 1000);

	if (!curl_initialized)
	{
		if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not initialize libcurl")));
		curl_initialized = true;
	}

	http->cleanup.func = http_cleanup;
	http->cleanup.arg = http;
	MemoryContextRegisterResetCallback(cxt, &http->cleanup);

	http->max_bytes = opts->max_response_bytes;
	http->timeout = opts->timeout;
	http->multi = curl_multi_init();
	http->easy = curl_easy_init();
	if (http->multi == NULL || http->easy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));

	if (opts->user_agent)
		snprintf(ua, sizeof(ua), "%s", opts->user_agent);
	else
		snprintf(ua, sizeof(ua), "arxiv_fdw/%s (PostgreSQL foreign data wrapper; %s)",
				 ARXIV_FDW_VERSION, curl_version());

	SETOPT(http->easy, CURLOPT_NOSIGNAL, 1L);

	/*
	 * A new connection per request: when a reused keep-alive connection turns
	 * out dead, libcurl silently sends the request again at once, behind the
	 * rate limiter's back.  A handshake every request_interval costs little.
	 */
	SETOPT(http->easy, CURLOPT_FORBID_REUSE, 1L);
	SETOPT(http->easy, CURLOPT_USERAGENT, ua);
	SETOPT(http->easy, CURLOPT_ACCEPT_ENCODING, "");	/* all curl supports */
	SETOPT(http->easy, CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(http->easy, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(http->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(http->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SETOPT(http->easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SETOPT(http->easy, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(http->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(http->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(http->easy, CURLOPT_CONNECTTIMEOUT_MS, Min(timeout_ms, 30000L));
	SETOPT(http->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	SETOPT(http->easy, CURLOPT_WRITEFUNCTION, write_callback);
	SETOPT(http->easy, CURLOPT_WRITEDATA, http);
	SETOPT(http->easy, CURLOPT_HEADERFUNCTION, header_callback);
	SETOPT(http->easy, CURLOPT_HEADERDATA, http);
	http->headers = curl_slist_append(NULL, "Accept: application/atom+xml");
	SETOPT(http->easy, CURLOPT_HTTPHEADER, http->headers);
	return http;
}

/*
 * A stable message for a failed transfer: libcurl's own texts carry byte
 * counts and timings that differ from one attempt to the next.
 */
static void
describe_transport_error(ArxivHttp *http, CURLcode rc, const char *url,
						 ArxivHttpResult *result)
{
	char		host[256];

	arxiv_url_host(url, host, sizeof(host));
	switch (rc)
	{
		case CURLE_OPERATION_TIMEDOUT:
			snprintf(result->error, sizeof(result->error),
					 "no complete response from %s within %g seconds (server option \"timeout\")",
					 host, http->timeout);
			break;
		case CURLE_COULDNT_CONNECT:
			snprintf(result->error, sizeof(result->error),
					 "could not connect to %s", host);
			break;
		case CURLE_COULDNT_RESOLVE_HOST:
			snprintf(result->error, sizeof(result->error),
					 "could not resolve host %s", host);
			break;
		case CURLE_PARTIAL_FILE:
			snprintf(result->error, sizeof(result->error),
					 "the connection to %s closed before the response was complete", host);
			break;
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
			snprintf(result->error, sizeof(result->error),
					 "the connection to %s failed while receiving the response", host);
			break;
		default:
			snprintf(result->error, sizeof(result->error), "%s (%s)",
					 curl_easy_strerror(rc), host);
			break;
	}
}

/*
 * Perform one request, passing the body to sink as it arrives.  Transport
 * failures and HTTP statuses are reported in *result, not thrown; only an
 * interrupt throws (from CHECK_FOR_INTERRUPTS).
 */
void
arxiv_http_perform(ArxivHttp *http, const char *url, const char *postfields,
				   ArxivSinkFn sink, void *sink_arg, ArxivHttpResult *result)
{
	int			running = 1;
	CURLMsg    *msg;
	int			pending;
	CURLcode	rc = CURLE_OK;

	memset(result, 0, sizeof(ArxivHttpResult));
	result->retry_after = -1;
	http->sink = sink;
	http->sink_arg = sink_arg;
	http->result = result;

	SETOPT(http->easy, CURLOPT_URL, url);
	if (postfields)
	{
		SETOPT(http->easy, CURLOPT_POSTFIELDS, postfields);
		SETOPT(http->easy, CURLOPT_POST, 1L);
	}
	else
		SETOPT(http->easy, CURLOPT_HTTPGET, 1L);

	if (curl_multi_add_handle(http->multi, http->easy) != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not start an HTTP transfer")));
	while (running)
	{
		CURLMcode	mrc = curl_multi_perform(http->multi, &running);

		if (mrc != CURLM_OK)
		{
			rc = CURLE_RECV_ERROR;	/* reported as a failed receive */
			break;
		}
		if (running)
			curl_multi_poll(http->multi, NULL, 0, 100, NULL);
		CHECK_FOR_INTERRUPTS();
	}
	while ((msg = curl_multi_info_read(http->multi, &pending)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	curl_multi_remove_handle(http->multi, http->easy);

	curl_easy_getinfo(http->easy, CURLINFO_RESPONSE_CODE, &result->status);
	{
		char	   *ct = NULL;

		/* for messages: printable ASCII only, never the body itself */
		if (curl_easy_getinfo(http->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		{
			size_t		i;

			for (i = 0; ct[i] && i < sizeof(result->content_type) - 1; i++)
				result->content_type[i] =
					(ct[i] >= ' ' && ct[i] < 0x7f && ct[i] != '"') ? ct[i] : '?';
			result->content_type[i] = '\0';
		}
	}
	if (rc != CURLE_OK && !result->too_large)
	{
		result->transport_error = true;
		describe_transport_error(http, rc, url, result);
	}
}

/*
 * The authority of a URL (host and port) without any user:password@, for
 * messages.
 */
const char *
arxiv_url_host(const char *url, char *buf, size_t bufsize)
{
	const char *p = strstr(url, "://");
	const char *end;
	const char *at = NULL;
	size_t		n;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at)
		p = at + 1;
	n = Min((size_t) (end - p), bufsize - 1);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/*
 * A copy of url without the credentials of its authority, for messages:
 * "https://user:secret@host/path" becomes "https://host/path".  palloc'd.
 */
char *
arxiv_url_redact(const char *url)
{
	const char *p = strstr(url, "://");
	const char *auth = p ? p + 3 : url;
	const char *end = auth + strcspn(auth, "/?#");
	const char *at = NULL;

	for (const char *q = auth; q < end; q++)
		if (*q == '@')
			at = q;
	if (at == NULL)
		return pstrdup(url);
	return psprintf("%.*s%s", (int) (auth - url), url, at + 1);
}

/* host is arxiv.org or a name under it (lower case, no trailing dot) */
static bool
host_is_arxiv(const char *host)
{
	size_t		len = strlen(host);

	return strcmp(host, "arxiv.org") == 0 ||
		(len > 10 && strcmp(host + len - 10, ".arxiv.org") == 0);
}

/*
 * The host of url as libcurl will connect to it, normalised: lower case,
 * without IPv6 brackets, zone or trailing dot; numeric addresses in their
 * canonical form, every loopback name and address as "loopback".  false if
 * libcurl cannot parse the URL.  *port gets the port, defaults included.
 */
static bool
url_normal_host(const char *url, char *host, size_t hostsize, long *port)
{
	CURLU	   *u = curl_url();
	char	   *h = NULL;
	char	   *portstr = NULL;
	bool		ok = false;

	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_PORT, &portstr, CURLU_DEFAULT_PORT) == CURLUE_OK)
	{
		char	   *s = h;
		size_t		len;
		unsigned char addr[16];

		if (s[0] == '[')
			s++;
		len = strcspn(s, "]%");
		while (len > 0 && s[len - 1] == '.')
			len--;
		if (len > 0 && len < hostsize)
		{
			memcpy(host, s, len);
			host[len] = '\0';
			for (char *c = host; *c; c++)
				*c = pg_tolower((unsigned char) *c);
			*port = strtol(portstr, NULL, 10);
			ok = true;
			if (inet_pton(AF_INET6, host, addr) == 1)
			{
				static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

				if (memcmp(addr, v4mapped, 12) == 0)
					snprintf(host, hostsize, "%d.%d.%d.%d",
							 addr[12], addr[13], addr[14], addr[15]);
				else
				{
					static const unsigned char zero[16] = {0};

					if (memcmp(addr, zero, 15) == 0 && (addr[15] == 1 || addr[15] == 0))
						snprintf(host, hostsize, "loopback");
					else
						(void) inet_ntop(AF_INET6, addr, host, hostsize);
				}
			}
			if (inet_pton(AF_INET, host, addr) == 1 &&
				(addr[0] == 127 || memcmp(addr, "\0\0\0\0", 4) == 0))
				snprintf(host, hostsize, "loopback");
			len = strlen(host);
			if (strcmp(host, "localhost") == 0 ||
				(len > 10 && strcmp(host + len - 10, ".localhost") == 0))
				snprintf(host, hostsize, "loopback");
		}
	}
	curl_free(h);
	curl_free(portstr);
	curl_url_cleanup(u);
	return ok;
}

/*
 * The rate-limit key of url: every arXiv host (arxiv.org and *.arxiv.org,
 * any scheme or port) is one key, ARXIV_RATELIMIT_KEY, since arXiv counts
 * requests per user; any other host is its normalised name and port (see
 * url_normal_host), so that "localhost" and "127.0.0.1" share a budget.
 * Names are not resolved: a lookup would block uninterruptibly, and a name
 * with several addresses would split into several keys.  false if the URL
 * cannot be parsed (buf then holds its lower-cased authority).
 */
bool
arxiv_url_key(const char *url, char *buf, size_t bufsize)
{
	char		host[256];
	long		port;

	if (!url_normal_host(url, host, sizeof(host), &port))
	{
		arxiv_url_host(url, buf, bufsize);
		for (char *c = buf; *c; c++)
			*c = pg_tolower((unsigned char) *c);
		return false;
	}
	if (host_is_arxiv(host))
		snprintf(buf, bufsize, "%s", ARXIV_RATELIMIT_KEY);
	else
		snprintf(buf, bufsize, "%s:%ld", host, port);
	return true;
}

/* Whether url points at arXiv (see arxiv_url_key); false if unparsable. */
bool
arxiv_url_is_arxiv(const char *url)
{
	char		key[300];

	return arxiv_url_key(url, key, sizeof(key)) &&
		strcmp(key, ARXIV_RATELIMIT_KEY) == 0;
}

/*
 * Sleep, waking for interrupts: a backoff or rate-limit wait must never
 * delay a cancel by more than a moment.
 */
void
arxiv_interruptible_sleep(double seconds)
{
	TimestampTz end = GetCurrentTimestamp() + (TimestampTz) (seconds * USECS_PER_SEC);

	for (;;)
	{
		long		left_ms = (long) ((end - GetCurrentTimestamp()) / 1000);

		CHECK_FOR_INTERRUPTS();
		if (left_ms <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left_ms, 100L), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

#define BACKOFF_MIN_BASE	0.5		/* seconds, when request_interval is 0 */
#define BACKOFF_JITTER		0.25
#define BACKOFF_MAX			120.0	/* seconds */

/*
 * The wait before retry number attempt + 1: exponential from the request
 * interval, with jitter so that sessions retrying together spread out.
 * Retry-After is a minimum, never the whole answer: arXiv's CDN sends
 * "Retry-After: 0" with its 503s, which taken literally would hammer it.
 */
double
arxiv_backoff_seconds(double request_interval, int attempt, double retry_after)
{
	double		base = Max(request_interval, BACKOFF_MIN_BASE);
	double		delay = base * pow(2, attempt) *
		(1.0 + BACKOFF_JITTER * pg_prng_double(&pg_global_prng_state));

	if (retry_after >= 0)
		delay = Max(delay, retry_after);
	return Min(delay, BACKOFF_MAX);
}
