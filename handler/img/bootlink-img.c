/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootlink-img: create, inspect, check and maintain bootlink layer files.
 * Exit status: 0 ok, 1 problem found or operation failed, 2 usage error. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blcow.h"

#define EXIT_PROBLEM 1
#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: bootlink-img create -b BACKING [-c CLUSTER] [-B BLOCK] OVERLAY\n"
	"       bootlink-img info [--json] [--backing PATH] FILE\n"
	"       bootlink-img check [--repair] FILE\n"
	"       bootlink-img commit OVERLAY NEWLAYER\n"
	"       bootlink-img reset OVERLAY\n"
	"       bootlink-img rebase -b NEWBACKING FILE\n";

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "bootlink-img: %s\n", msg);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int fail(const char *msg)
{
	fprintf(stderr, "bootlink-img: %s\n", msg);
	return EXIT_PROBLEM;
}

/* Sizes like 65536, 64k, 1M. */
static int parse_size(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	default: break;
	}
	if (*end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static const char *kind_of(const struct blc_layer_info *li, bool top)
{
	return li->is_raw ? "raw" : li->committed ? "layer" : top ? "overlay" : "overlay?";
}

static int cmd_create(int argc, char **argv)
{
	struct blc_create_opts o = { 0, 0 };
	const char *backing = NULL;
	char err[1024];
	int ch;

	while ((ch = getopt(argc, argv, "b:c:B:")) != -1) {
		switch (ch) {
		case 'b': backing = optarg; break;
		case 'c': if (parse_size(optarg, &o.cluster_size)) return usage("bad cluster size"); break;
		case 'B': if (parse_size(optarg, &o.block_size)) return usage("bad block size"); break;
		default: return usage(NULL);
		}
	}
	if (!backing || optind != argc - 1)
		return usage("create needs -b BACKING and one OVERLAY");
	if (blc_create(argv[optind], backing, &o, err, sizeof(err)) < 0)
		return fail(err);
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
					    { "backing", required_argument, NULL, 'b' },
					    { 0, 0, 0, 0 } };
	struct blc_open_opts o = { .flags = BLC_OPEN_RDONLY };
	struct blc_chain *c;
	struct blc_layer_info top;
	bool json = false;
	char err[1024], id[128];
	int ch;

	while ((ch = getopt_long(argc, argv, "jb:", lo, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else if (ch == 'b')
			o.backing_override = optarg;
		else
			return usage(NULL);
	}
	if (optind != argc - 1)
		return usage("info needs one FILE");
	if (blc_open(argv[optind], &o, &c, err, sizeof(err)) < 0)
		return fail(err);
	int n = blc_layer_count(c);
	if (blc_layer_info(c, n - 1, &top) < 0) {
		blc_last_error(c, err, sizeof(err));
		blc_close(c);
		return fail(err);
	}
	if (json) {
		printf("{\"path\":");
		json_string(top.path);
		printf(",\"virtual_size\":%" PRIu64 ",\"block_size\":%u,\"cluster_size\":%u,"
		       "\"sub_block_size\":%u,\"allocated\":%" PRIu64 ",\"committed\":%s,"
		       "\"chain\":[", blc_size(c), blc_block_size(c), blc_cluster_size(c),
		       blc_sub_block_size(c), top.allocated,
		       top.committed ? "true" : "false");
	} else {
		printf("image: %s\nvirtual size: %" PRIu64 " bytes (%.1f GiB)\nblock size: %u\n"
		       "cluster size: %u\nsub-block size: %u\nallocated: %" PRIu64 " bytes\n"
		       "committed: %s\nchain (top first):\n",
		       top.path, blc_size(c), blc_size(c) / 1073741824.0, blc_block_size(c),
		       blc_cluster_size(c), blc_sub_block_size(c), top.allocated, top.committed ? "yes" : "no");
	}
	for (int i = n - 1; i >= 0; i--) {
		struct blc_layer_info li;
		if (blc_layer_info(c, i, &li) < 0 || blc_identity_format(&li.id, id, sizeof(id)) < 0) {
			blc_last_error(c, err, sizeof(err));
			blc_close(c);
			return fail(err);
		}
		if (json) {
			printf("%s{\"index\":%d,\"kind\":\"%s\",\"path\":", i == n - 1 ? "" : ",", i,
			       kind_of(&li, i == n - 1));
			json_string(li.path);
			printf(",\"identity\":\"%s\",\"allocated\":%" PRIu64 "}", id, li.allocated);
		} else {
			printf("  [%d] %-7s %s\n      identity %s", i, kind_of(&li, i == n - 1),
			       li.path, id);
			if (!li.is_raw)
				printf(", allocated %" PRIu64 " bytes", li.allocated);
			putchar('\n');
		}
	}
	if (json)
		printf("]}\n");
	blc_close(c);
	return 0;
}

static void say(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

static int cmd_check(int argc, char **argv)
{
	static const struct option lo[] = { { "repair", no_argument, NULL, 'r' }, { 0, 0, 0, 0 } };
	struct blc_check_result res;
	bool repair = false;
	char err[1024];
	int ch;

	while ((ch = getopt_long(argc, argv, "r", lo, NULL)) != -1) {
		if (ch != 'r')
			return usage(NULL);
		repair = true;
	}
	if (optind != argc - 1)
		return usage("check needs one FILE");
	if (blc_check(argv[optind], repair, &res, say, NULL, err, sizeof(err)) < 0)
		return fail(err);
	if (!res.problems) {
		printf("%s: no problems found\n", argv[optind]);
		return 0;
	}
	printf("%s: %u problem(s) found, %u repaired\n", argv[optind], res.problems, res.repaired);
	return res.repaired == res.problems && repair ? 0 : EXIT_PROBLEM;
}

/* commit and reset: open the overlay, run op, report. */
static int on_chain(const char *path, int (*op)(struct blc_chain *, const char *),
		    const char *arg)
{
	struct blc_chain *c;
	char err[1024];
	int r;

	if (blc_open(path, NULL, &c, err, sizeof(err)) < 0)
		return fail(err);
	r = op(c, arg);
	if (r < 0)
		blc_last_error(c, err, sizeof(err));
	blc_close(c);
	return r < 0 ? fail(err) : 0;
}

static int do_reset(struct blc_chain *c, const char *unused)
{
	(void)unused;
	return blc_reset(c);
}

static int cmd_rebase(int argc, char **argv)
{
	const char *backing = NULL;
	char err[1024];
	int ch;

	while ((ch = getopt(argc, argv, "b:")) != -1) {
		if (ch != 'b')
			return usage(NULL);
		backing = optarg;
	}
	if (!backing || optind != argc - 1)
		return usage("rebase needs -b NEWBACKING and one FILE");
	if (blc_rebase(argv[optind], backing, err, sizeof(err)) < 0)
		return fail(err);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(NULL);
	const char *cmd = argv[1];
	argc--;
	argv++;
	if (!strcmp(cmd, "create"))
		return cmd_create(argc, argv);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc, argv);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc, argv);
	if (!strcmp(cmd, "commit"))
		return argc == 3 ? on_chain(argv[1], blc_commit, argv[2])
				 : usage("commit needs OVERLAY NEWLAYER");
	if (!strcmp(cmd, "reset"))
		return argc == 2 ? on_chain(argv[1], do_reset, NULL) : usage("reset needs OVERLAY");
	if (!strcmp(cmd, "rebase"))
		return cmd_rebase(argc, argv);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	return usage("unknown command");
}
