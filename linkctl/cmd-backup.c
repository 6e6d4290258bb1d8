/* linkctl backup / restore: arguments and output; the work is libblops' (ops-backup.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bootlink-config.h"
#include "cli.h"
#include "error.h"
#include "ops.h"

static int flag_opt(int c, const char *arg, void *ctx)
{
	(void)c;
	(void)arg;
	*(bool *)ctx = true;
	return 0;
}

/* What backup says about a client on the way (a running client left out, or copied live). */
static void backup_note(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "linkctl: %s\n", line);
}

struct backup_opts {
	bool overlays;
	unsigned flags;
};

static int backup_opt(int c, const char *arg, void *ctx)
{
	struct backup_opts *b = ctx;
	(void)arg;
	if (c == 'o')
		b->overlays = true;
	else
		b->flags |= c == 'O' ? BL_BACKUP_OFFLINE_ONLY : BL_BACKUP_FORCE;
	return 0;
}

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "overlays", no_argument, NULL, 'o' },
					      { "offline-only", no_argument, NULL, 'O' },
					      { "force", no_argument, NULL, 'f' },
					      { 0, 0, 0, 0 } };
	static const char usage[] = "DIR [--overlays [--offline-only | --force]]";
	struct bl_backup m;
	struct backup_opts bo = { 0 };
	int first, r;

	if ((r = parse_args(argc, argv, "backup", usage,
			    "Backs up, while everything runs, the database (consistent snapshot), every "
			    "image file and\nversion layer (sparse, with checksums), the configuration "
			    "and, with --overlays, the\npersistent clients' overlays, each from a "
			    "snapshot (reflink). Where the filesystem has\nnone, a running client's "
			    "overlay is refused: --offline-only leaves it out, --force copies\nit as it "
			    "changes. DIR must not exist or be empty.", opts, backup_opt, &bo, 1,
			    &first)) != ARGS_OK)
		return r;
	if (bo.flags == (BL_BACKUP_OFFLINE_ONLY | BL_BACKUP_FORCE))
		return usage_error("backup", usage, "--offline-only and --force exclude each other");
	if (cli_db(cli))
		return EXIT_FAILED;
	cli->ops.note = backup_note;
	if (bl_op_backup(&cli->ops, argv[first], bo.overlays, bo.flags, &m) < 0) {
		bl_backup_free(&m);
		return fail_last(cli);
	}
	uint64_t bytes = 0;
	for (size_t i = 0; i < m.n; i++)
		bytes += m.e[i].size;
	if (cli->json) {
		struct bl_json j;
		bl_json_init(&j);
		bl_json_obj(&j);
		bl_json_kv_bool(&j, "ok", true);
		bl_json_kv_str(&j, "dir", m.dir);
		bl_json_kv_int(&j, "schema", m.schema);
		bl_json_key(&j, "files");
		bl_json_arr(&j);
		for (size_t i = 0; i < m.n; i++) {
			bl_json_obj(&j);
			bl_json_kv_str(&j, "path", m.e[i].rel);
			bl_json_kv_str(&j, "source", m.e[i].orig);
			bl_json_kv_uint(&j, "size", m.e[i].size);
			bl_json_kv_str(&j, "sha256", m.e[i].sum);
			bl_json_end(&j);
		}
		bl_json_end(&j);
		bl_json_end(&j);
		r = print_json(cli, &j);
	} else {
		char h[32];
		printf("backup written to %s: %zu file(s), %s (logical), schema %d\n", m.dir, m.n,
		       human_bytes(bytes, h, sizeof(h)), m.schema);
		r = EXIT_OK;
	}
	bl_backup_free(&m);
	return r;
}

static void restored(void *ctx, const char *line)
{
	struct cli *cli = ctx;
	if (!cli->json)
		printf("restored %s\n", line);
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { 0, 0, 0, 0 } };
	static const char usage[] = "DIR [--force]";
	struct bl_backup m;
	bool force = false;
	int first, r;

	if ((r = parse_args(argc, argv, "restore", usage,
			    "Restores a backup: verifies every checksum and refuses a backup from a newer "
			    "schema before\ntouching anything, then puts back image files, layers and "
			    "overlays that are missing or\ndiffer (--force: also overwrite differing "
			    "ones, which corrupts clients using them), the\ndatabase, and the "
			    "configuration (as FILE.restored if one exists and differs).", opts,
			    flag_opt, &force, 1, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli))
		return EXIT_FAILED;
	const char *conf = cli->config_path ? cli->config_path : BL_CONFIG_DEFAULT_PATH;
	cli->ops.note = restored;
	r = bl_op_restore(&cli->ops, argv[first], force, conf, &m, &cli->db);
	bl_backup_free(&m);
	if (r < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
}
