/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * HTTP(S) downloads with libcurl: the system's CAs, proxies from the
 * environment (http_proxy, https_proxy, no_proxy), at most 5 redirects and
 * only to http or https, a connect timeout and a stall timeout (no byte for
 * BURROW_FETCH_TIMEOUT seconds, default 30). A transfer that breaks off is
 * resumed where it stopped (an HTTP range request), up to 3 tries. Each
 * failure is logged once with the URL and what went wrong.
 */

/* url into fd (an empty file opened for writing), at most max bytes. label: the progress bar's. */
int fetch_to_fd(const char *url, int fd, uint64_t max, const char *label);
/* A small file into memory, NUL-terminated; *ret_len without the NUL. */
int fetch_text(const char *url, size_t max, char **ret, size_t *ret_len);
/* base + "/" + rel, with one '/' between; -EINVAL unless base is http:// or https://. */
int fetch_url_join(const char *base, const char *rel, char **ret);
