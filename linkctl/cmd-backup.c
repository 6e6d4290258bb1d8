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

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "overlays", no_argument, NULL, 'o' },
					      { 0, 0, 0, 0 } };
	static const char usage[] = "DIR [--overlays]";
	struct bl_backup m;
	bool overlays = false;
	int first, r;

	if ((r = parse_args(argc, argv, "backup", usage,
			    "Backs up, while everything runs, the database (consistent snapshot), every "
			    "image file and\nversion layer (sparse, with checksums), the configuration "
			    "and, with --overlays, the\npersistent clients' overlays. DIR must not exist "
			    "or be empty.", opts, flag_opt, &overlays, 1, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli))
		return EXIT_FAILED;
	if (bl_op_backup(&cli->ops, argv[first], overlays, &m) < 0) {
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
