/*
 * blrbd-cli: every call of linkmgr/rbd/blrbd.h from the command line, for the tests that run
 * against the real test cluster (tests/ceph/test-blrbd.sh, the vm test and the benchmark).
 *
 *   blrbd-cli [-c CONF] [-n ID] [-k KEYRING] [-p POOL] [-t SECS] [-o OBJSIZE] [-f FEATURES] CMD ARGS
 *     import IMAGE FILE | snap IMAGE SNAP | snap-rm IMAGE SNAP | snap-exists IMAGE SNAP |
 *     snaps IMAGE | clone PARENT SNAP CHILD | children IMAGE SNAP | flatten IMAGE |
 *     rm IMAGE | exists IMAGE | info IMAGE | du IMAGE | reclone PARENT SNAP CHILD
 *
 * Prints one JSON object per command on stdout (with "ms": the call's wall time, connection not
 * counted); on failure prints blrbd_error() on stderr and exits with 1, or 3 when the call
 * returned -ENOENT, 4 for -EBUSY, 5 for -ENOTEMPTY, 6 for -EEXIST (so a test can tell causes
 * apart without parsing text). `reclone` is a volatile client's reset: remove, then clone again.
 * OBJSIZE takes K and M suffixes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blrbd.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int exit_for(int rc)
{
	fprintf(stderr, "blrbd-cli: %s\n", blrbd_error());
	switch (rc) {
	case -ENOENT: return 3;
	case -EBUSY: return 4;
	case -ENOTEMPTY: return 5;
	case -EEXIST: return 6;
	default: return 1;
	}
}

static unsigned progress_calls;
static uint64_t progress_last;
static int progress(uint64_t done, uint64_t total, void *arg)
{
	(void)arg;
	(void)total;
	progress_calls++;
	progress_last = done;
	return 0;
}

static int first;
static int print_name(const char *name, void *arg)
{
	(void)arg;
	printf("%s\"%s\"", first++ ? "," : "", name);
	return 0;
}
static int print_child(const char *pool, const char *child, void *arg)
{
	(void)arg;
	printf("%s\"%s/%s\"", first++ ? "," : "", pool, child);
	return 0;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end) {
		fprintf(stderr, "blrbd-cli: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: blrbd-cli [-c CONF] [-n ID] [-k KEYRING] [-p POOL] [-t SECS] "
		"[-o OBJSIZE] [-f FEATURES] CMD ARGS (see the source's header)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct blrbd_conn c = { .pool = "rbd" };
	struct blrbd_image_opts o = { 0 };
	struct blrbd *r;
	double t0, ms;
	int opt, rc;

	while ((opt = getopt(argc, argv, "c:n:k:p:t:o:f:")) != -1) {
		switch (opt) {
		case 'c': c.conf = optarg; break;
		case 'n': c.client_id = optarg; break;
		case 'k': c.keyring = optarg; break;
		case 'p': c.pool = optarg; break;
		case 't': c.timeout_s = (unsigned)atoi(optarg); break;
		case 'o': o.object_size = parse_size(optarg); break;
		case 'f':
			if (blrbd_features_parse(optarg, &o.features) < 0) {
				fprintf(stderr, "blrbd-cli: %s\n", blrbd_error());
				return 2;
			}
			break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	const char *cmd = argv[0];
	int nargs = !strcmp(cmd, "import") || !strcmp(cmd, "snap") || !strcmp(cmd, "snap-rm") ||
		    !strcmp(cmd, "snap-exists") || !strcmp(cmd, "children") ? 2 :
		    !strcmp(cmd, "clone") || !strcmp(cmd, "reclone") ? 3 : 1;
	if (argc != nargs + 1)
		usage();

	t0 = now_ms();
	if ((rc = blrbd_connect(&c, &r)) < 0)
		return exit_for(rc);
	double tc = now_ms() - t0;
	t0 = now_ms();
	if (!strcmp(cmd, "import")) {
		rc = blrbd_import(r, argv[1], argv[2], &o, progress, NULL);
		ms = now_ms() - t0;
		if (rc == 0)
			printf("{\"import\":\"%s\",\"ms\":%.1f,\"progress_calls\":%u,\"progress_last\":%" PRIu64 "}\n",
			       argv[1], ms, progress_calls, progress_last);
	} else if (!strcmp(cmd, "snap")) {
		rc = blrbd_snap_create(r, argv[1], argv[2]);
		ms = now_ms() - t0;
		if (rc == 0)
			printf("{\"snap\":\"%s@%s\",\"ms\":%.1f}\n", argv[1], argv[2], ms);
	} else if (!strcmp(cmd, "snap-rm")) {
		rc = blrbd_snap_remove(r, argv[1], argv[2]);
		ms = now_ms() - t0;
		if (rc == 0)
			printf("{\"snap_removed\":\"%s@%s\",\"ms\":%.1f}\n", argv[1], argv[2], ms);
	} else if (!strcmp(cmd, "snap-exists")) {
		rc = blrbd_snap_exists(r, argv[1], argv[2]);
		if (rc >= 0)
			printf("{\"exists\":%s}\n", rc ? "true" : "false"), rc = 0;
	} else if (!strcmp(cmd, "snaps")) {
		printf("{\"snaps\":[");
		rc = blrbd_snap_list(r, argv[1], print_name, NULL);
		printf("]");
		if (rc >= 0)
			printf(",\"count\":%d}\n", rc), rc = 0;
		else
			printf("}\n");
	} else if (!strcmp(cmd, "clone")) {
		rc = blrbd_clone(r, argv[1], argv[2], argv[3], &o);
		ms = now_ms() - t0;
		if (rc == 0)
			printf("{\"clone\":\"%s\",\"ms\":%.1f}\n", argv[3], ms);
	} else if (!strcmp(cmd, "reclone")) {
		rc = blrbd_remove(r, argv[3]);
		double trm = now_ms() - t0;
		if (rc == 0 || rc == -ENOENT)
			rc = blrbd_clone(r, argv[1], argv[2], argv[3], &o);
		ms = now_ms() - t0;
		if (rc == 0)
			printf("{\"reclone\":\"%s\",\"remove_ms\":%.1f,\"ms\":%.1f}\n", argv[3], trm, ms);
	} else if (!strcmp(cmd, "children")) {
		printf("{\"children\":[");
		rc = blrbd_children(r, argv[1], argv[2], print_child, NULL);
		printf("]");
		if (rc >= 0)
			printf(",\"count\":%d}\n", rc), rc = 0;
		else
			printf("}\n");
	} else if (!strcmp(cmd, "flatten")) {
		rc = blrbd_flatten(r, argv[1], progress, NULL);
		ms = now_ms() - t0;
		if (rc == 0)
			printf("{\"flatten\":\"%s\",\"ms\":%.1f}\n", argv[1], ms);
	} else if (!strcmp(cmd, "rm")) {
		rc = blrbd_remove(r, argv[1]);
		ms = now_ms() - t0;
		if (rc == 0)
			printf("{\"removed\":\"%s\",\"ms\":%.1f}\n", argv[1], ms);
	} else if (!strcmp(cmd, "exists")) {
		rc = blrbd_exists(r, argv[1]);
		if (rc >= 0)
			printf("{\"exists\":%s}\n", rc ? "true" : "false"), rc = 0;
	} else if (!strcmp(cmd, "info")) {
		struct blrbd_info i;
		char feats[256];
		rc = blrbd_info(r, argv[1], &i);
		if (rc == 0) {
			blrbd_features_format(i.features & BLRBD_FEATURES_DEFAULT, feats, sizeof(feats));
			printf("{\"size\":%" PRIu64 ",\"object_size\":%" PRIu64 ",\"features\":\"%s\","
			       "\"parent\":%s%s%s%s%s%s%s}\n", i.size, i.object_size, feats,
			       i.has_parent ? "\"" : "null", i.has_parent ? i.parent_pool : "",
			       i.has_parent ? "/" : "", i.has_parent ? i.parent_image : "",
			       i.has_parent ? "@" : "", i.has_parent ? i.parent_snap : "",
			       i.has_parent ? "\"" : "");
		}
	} else if (!strcmp(cmd, "du")) {
		struct blrbd_usage u;
		rc = blrbd_usage(r, argv[1], &u);
		ms = now_ms() - t0;
		if (rc == 0)
			printf("{\"provisioned\":%" PRIu64 ",\"used\":%" PRIu64 ",\"ms\":%.1f}\n",
			       u.provisioned, u.used, ms);
	} else {
		usage();
	}
	(void)tc;
	blrbd_close(r);
	return rc < 0 ? exit_for(rc) : 0;
}
