/*
 * Shifts the wall clock of the process it is preloaded into (LD_PRELOAD) by
 * KEYFERRY_CLOCK_SHIFT_MS milliseconds (may be negative): clock_gettime(CLOCK_REALTIME*),
 * gettimeofday() and time(). Monotonic clocks are left alone. Compiled by the tests'
 * ClockShift fixture to run a redis-server whose TIME, expiries and PEXPIRETIME follow
 * another host's clock.
 *
 * libfaketime does the same but cannot start redis-server: its initialisation calls
 * dlsym(), which allocates, and jemalloc's initialisation calls clock_gettime() back
 * (libfaketime issue #130). This shim reads the real clock with the raw system call, so
 * it needs neither dlsym() nor malloc().
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long shift_ns(void)
{
	/* racing first calls compute the same value */
	static volatile int known;
	static volatile long long shift;
	if (!known) {
		const char *value = getenv("KEYFERRY_CLOCK_SHIFT_MS");
		shift = (value != NULL) ? atoll(value) * 1000000LL : 0;
		known = 1;
	}
	return shift;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = (int) syscall(SYS_clock_gettime, id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
		long long ns = (long long) ts->tv_sec * 1000000000LL + ts->tv_nsec + shift_ns();
		ts->tv_sec = (time_t) (ns / 1000000000LL);
		ts->tv_nsec = (long) (ns % 1000000000LL);
	}
	return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;
	int rc = clock_gettime(CLOCK_REALTIME, &ts);
	(void) tz;
	/* glibc declares tv nonnull */
	if (rc == 0) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return rc;
}

time_t time(time_t *out)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
		return (time_t) -1;
	}
	if (out != NULL) {
		*out = ts.tv_sec;
	}
	return ts.tv_sec;
}
