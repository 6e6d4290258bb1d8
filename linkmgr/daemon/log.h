/* log.h - the daemon's log lines on stderr.
 *
 * Every line is "linkmgr: MESSAGE", prefixed with the wall-clock time to the millisecond
 * unless stderr is the systemd journal (JOURNAL_STREAM is set), which stamps lines itself.
 * Boot events, disk rebuilds and session checks are compared with dnsmasq's and
 * tcmu-runner's logs, so the time is the point of this module.
 */
#ifndef BL_LOG_H
#define BL_LOG_H

void bl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
