/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glib-macro.h"
#include "launcher.h"

#define TRIES	      3
#define MAX_REDIRECTS 5

struct transfer {
	const char *url, *label;
	int fd; /* -1: into buf */
	GByteArray *buf;
	uint64_t max, off, start;
	bool too_big, io_error, progress;
	int io_errno;
	uint64_t t0, last_draw;
	CURL *curl;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * n;
	long code = 0;

	/* Asked to resume, a server that ignores ranges sends the whole file again. */
	if (t->off > 0 && t->off == t->start &&
	    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200) {
		t->off = t->start = 0;
		if (t->fd >= 0 && ftruncate(t->fd, 0) < 0) {
			t->io_error = true;
			t->io_errno = errno;
			return 0;
		}
		if (t->buf)
			g_byte_array_set_size(t->buf, 0);
	}
	if (t->off + len > t->max) {
		t->too_big = true;
		return 0;
	}
	if (t->buf)
		g_byte_array_append(t->buf, (const guint8 *)p, (guint)len);
	for (size_t done = 0; t->fd >= 0 && done < len;) {
		ssize_t w = pwrite(t->fd, p + done, len - done, (off_t)(t->off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			t->io_error = true;
			t->io_errno = w < 0 ? errno : EIO;
			return 0;
		}
		done += (size_t)w;
	}
	t->off += len;
	return len;
}

static int on_progress(void *userdata, curl_off_t total, curl_off_t now, curl_off_t ut,
		       curl_off_t un)
{
	struct transfer *t = userdata;
	uint64_t ts = now_usec(CLOCK_MONOTONIC), done = t->off;
	char have[32], all[32], rate[32];
	double secs = (double)(ts - t->t0) / 1e6;
	int bar = 0;

	if (ts - t->last_draw < 100000)
		return 0;
	t->last_draw = ts;
	format_bytes(done, have, sizeof(have));
	format_bytes(secs > 0.2 ? (uint64_t)((double)(done - t->start) / secs) : 0, rate,
		     sizeof(rate));
	if (total > 0) {
		format_bytes((uint64_t)total + t->start, all, sizeof(all));
		bar = (int)(30.0 * (double)done / (double)((uint64_t)total + t->start));
	} else
		snprintf(all, sizeof(all), "?");
	fprintf(stderr, "\r%-14s [%-30.*s] %s / %s  %s/s\033[K", t->label, bar,
		"##############################", have, all, rate);
	return 0;
}

static long fetch_timeout(void)
{
	const char *s = getenv("BURROW_FETCH_TIMEOUT");
	long v = s ? strtol(s, NULL, 10) : 0;

	return v > 0 ? v : 30;
}

static CURL *transfer_setup(struct transfer *t, char *errbuf)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, t->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "burrow/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, fetch_timeout());
	/* A stall is under one byte a second for the whole timeout. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, fetch_timeout());
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	if (t->progress) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	return c;
}

static bool retryable(CURLcode cc)
{
	return cc == CURLE_PARTIAL_FILE || cc == CURLE_OPERATION_TIMEDOUT ||
	       cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING || cc == CURLE_SEND_ERROR;
}

static int report(const struct transfer *t, CURLcode cc, const char *errbuf, int tries)
{
	char max[32];
	long code = 0;

	if (t->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		format_bytes(t->max, max, sizeof(max));
		return log_error_errno(-EFBIG, "%s is larger than the limit of %s", t->url, max);
	}
	if (t->io_error)
		return log_error_errno(-t->io_errno, "cannot store %s: %m", t->url);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
	switch (cc) {
	case CURLE_HTTP_RETURNED_ERROR:
		return log_error_errno(code == 404 ? -ENOENT : -EREMOTEIO,
				       "%s: the server answered HTTP %ld", t->url, code);
	case CURLE_TOO_MANY_REDIRECTS:
		return log_error_errno(-ELOOP, "%s: more than %d redirects (a redirect loop?)",
				       t->url, MAX_REDIRECTS);
	case CURLE_OPERATION_TIMEDOUT:
		return log_error_errno(-ETIMEDOUT,
				       "%s: the server stalled (no data for %ld s, %d tries, "
				       "%" PRIu64 " bytes received)",
				       t->url, fetch_timeout(), tries, t->off);
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return log_error_errno(-EPIPE,
				       "%s: the transfer was cut short (%d tries, resumed each "
				       "time; %" PRIu64 " bytes received)",
				       t->url, tries, t->off);
	default:
		return log_error_errno(-EIO, "%s: %s", t->url,
				       *errbuf ? errbuf : curl_easy_strerror(cc));
	}
}

static int transfer_run(struct transfer *t)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc = CURLE_OK;
	int tries = 0, r;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return log_error_errno(-EIO, "cannot initialise libcurl");
	t->progress = t->label && isatty(STDERR_FILENO);
	t->t0 = now_usec(CLOCK_MONOTONIC);
	t->curl = transfer_setup(t, errbuf);
	if (!t->curl)
		return log_error_errno(-ENOMEM, "cannot initialise libcurl");
	while (tries++ < TRIES) {
		errbuf[0] = 0;
		t->start = t->off;
		curl_easy_setopt(t->curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t->off);
		cc = curl_easy_perform(t->curl);
		if (cc == CURLE_RANGE_ERROR && t->off > 0 && tries < TRIES) {
			/* A server that answers a range with the whole file: start again. */
			if (t->fd >= 0 && ftruncate(t->fd, 0) < 0) {
				t->io_error = true;
				t->io_errno = errno;
				break;
			}
			if (t->buf)
				g_byte_array_set_size(t->buf, 0);
			t->off = 0;
			continue;
		}
		if (cc == CURLE_OK || !retryable(cc) || t->too_big || t->io_error)
			break;
		log_debug("%s: %s; resuming at %" PRIu64, t->url, curl_easy_strerror(cc), t->off);
	}
	if (t->progress)
		fprintf(stderr, "\r\033[K");
	r = cc == CURLE_OK && !t->too_big && !t->io_error ? 0 : report(t, cc, errbuf, tries);
	curl_easy_cleanup(t->curl);
	curl_global_cleanup();
	return r;
}

int fetch_to_fd(const char *url, int fd, uint64_t max, const char *label)
{
	struct transfer t = { .url = url, .label = label, .fd = fd, .max = max };

	return transfer_run(&t);
}

int fetch_text(const char *url, size_t max, char **ret, size_t *ret_len)
{
	struct transfer t = { .url = url, .fd = -1, .max = max, .buf = g_byte_array_new() };
	int r = transfer_run(&t);

	if (r < 0) {
		g_byte_array_unref(t.buf);
		return r;
	}
	*ret_len = t.buf->len;
	g_byte_array_append(t.buf, (const guint8 *)"", 1);
	*ret = (char *)g_byte_array_free(t.buf, FALSE);
	return 0;
}

int fetch_url_join(const char *base, const char *rel, char **ret)
{
	g_autofree char *b = g_strdup(base);

	if (!g_str_has_prefix(base, "http://") && !g_str_has_prefix(base, "https://"))
		return -EINVAL;
	while (g_str_has_suffix(b, "/"))
		b[strlen(b) - 1] = 0;
	while (*rel == '/')
		rel++;
	*ret = g_strconcat(b, "/", rel, NULL);
	return 0;
}
