/* linkctl image ...: base images and their versions. Changes are operations of libblops
 * (linkmgr/ops/ops.h); this file parses their arguments and prints. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ops.h"
#include "storage.h"
#include "error.h"
#include "validate.h"

static int image_arg(struct cli *cli, const char *name, struct bl_image *img)
{
	if (bl_image_name_check(name) < 0)
		return fail_last(cli);
	if (bl_db_image_get(cli->db, name, img) < 0)
		return fail_last(cli);
	return 0;
}

static void image_json(struct bl_json *j, const struct bl_image *img, int clients)
{
	bl_json_obj(j);
	bl_json_kv_int(j, "id", img->id);
	bl_json_kv_str(j, "name", img->name);
	bl_json_kv_str(j, "path", img->path);
	bl_json_kv_str(j, "identity", img->identity);
	bl_json_kv_uint(j, "size", img->size);
	bl_json_kv_int(j, "current_version", img->current_version);
	bl_json_kv_int(j, "created", img->created);
	if (clients >= 0)
		bl_json_kv_int(j, "clients", clients);
	bl_json_end(j);
}

struct img_ctx {
	struct bl_image *img;
	int clients;
};

static void extra_image(struct bl_json *j, void *ctx)
{
	struct img_ctx *c = ctx;
	bl_json_key(j, "image");
	image_json(j, c->img, c->clients);
}

/* ---- add ---- */

static int image_add(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME FILE";
	struct bl_image img;
	int first, r;

	if ((r = parse_args(argc, argv, "image add", usage,
			    "Registers FILE (inside image_dir) as the base image NAME.", NULL, NULL,
			    NULL, 2, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli))
		return EXIT_FAILED;
	if (bl_op_image_add(&cli->ops, argv[first], argv[first + 1], &img) < 0)
		return fail_last(cli);
	r = report_change(cli, extra_image, &(struct img_ctx){ &img, 0 });
	bl_image_clear(&img);
	return r;
}

/* ---- list / show ---- */

static int image_list(struct cli *cli, int argc, char **argv)
{
	struct bl_image *imgs;
	size_t n;
	int first, r;

	if ((r = parse_args(argc, argv, "image list", "", "Lists images.", NULL, NULL, NULL, 0,
			    &first)) != ARGS_OK)
		return r;
	if (cli_db(cli))
		return EXIT_FAILED;
	if (bl_db_image_list(cli->db, &imgs, &n) < 0)
		return fail_last(cli);
	if (cli->json) {
		struct bl_json j;
		bl_json_init(&j);
		bl_json_arr(&j);
		for (size_t i = 0; i < n; i++)
			image_json(&j, &imgs[i], bl_db_image_clients(cli->db, imgs[i].id));
		bl_json_end(&j);
		bl_images_free(imgs, n);
		return print_json(cli, &j);
	}
	if (n == 0)
		printf("No images. Add one with: linkctl image add NAME FILE\n");
	else
		printf("%-20s %4s %8s %10s %7s  %s\n", "NAME", "ID", "VERSION", "SIZE", "CLIENTS",
		       "FILE");
	for (size_t i = 0; i < n; i++) {
		char sz[32];
		printf("%-20s %4lld %8d %10s %7d  %s\n", imgs[i].name, (long long)imgs[i].id,
		       imgs[i].current_version, human_bytes(imgs[i].size, sz, sizeof(sz)),
		       bl_db_image_clients(cli->db, imgs[i].id), imgs[i].path);
	}
	bl_images_free(imgs, n);
	return EXIT_OK;
}

static const char *state_name(const struct bl_version *v)
{
	return v->state == BL_VERSION_COMMITTED ? "committed" : "building";
}

static void version_json(struct bl_json *j, const struct bl_version *v, int current)
{
	bl_json_obj(j);
	bl_json_kv_int(j, "number", v->number);
	bl_json_kv_int(j, "parent", v->parent);
	bl_json_kv_str(j, "state", state_name(v));
	bl_json_kv_bool(j, "current", v->number == current);
	bl_json_kv_str(j, "layer", v->layer_path);
	bl_json_kv_str(j, "identity", v->identity);
	bl_json_kv_int(j, "created", v->created);
	bl_json_kv_int(j, "committed", v->committed);
	bl_json_end(j);
}

/* An image with its versions and clients (show, versions). */
static int image_details(struct cli *cli, const char *name, struct bl_image *img,
			 struct bl_version **v, size_t *nv, struct bl_client **cl, size_t *nc)
{
	if (cli_db(cli) || image_arg(cli, name, img))
		return EXIT_FAILED;
	if (bl_db_versions(cli->db, img->id, v, nv) < 0) {
		bl_image_clear(img);
		return fail_last(cli);
	}
	if (bl_db_image_client_list(cli->db, img->id, cl, nc) < 0) {
		bl_versions_free(*v, *nv);
		bl_image_clear(img);
		return fail_last(cli);
	}
	return 0;
}

static int image_show(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME";
	struct bl_image img;
	struct bl_version *v;
	struct bl_client *cl;
	size_t nv, nc;
	int first, r;

	if ((r = parse_args(argc, argv, "image show", usage, "Shows an image, its versions and clients.",
			    NULL, NULL, NULL, 1, &first)) != ARGS_OK)
		return r;
	if (image_details(cli, argv[first], &img, &v, &nv, &cl, &nc))
		return EXIT_FAILED;
	int present = bl_storage_identity_matches(img.path, img.identity);
	const char *file_state = present == 1 ? "ok" : present == 0 ? "changed" :
				 access(img.path, F_OK) ? "missing" : "unreadable";
	if (cli->json) {
		struct bl_json j;
		bl_json_init(&j);
		bl_json_obj(&j);
		bl_json_key(&j, "image");
		image_json(&j, &img, (int)nc);
		bl_json_kv_str(&j, "file_state", file_state);
		bl_json_key(&j, "versions");
		bl_json_arr(&j);
		for (size_t i = 0; i < nv; i++)
			version_json(&j, &v[i], img.current_version);
		bl_json_end(&j);
		bl_json_key(&j, "clients");
		bl_json_arr(&j);
		for (size_t i = 0; i < nc; i++)
			bl_json_str(&j, cl[i].mac);
		bl_json_end(&j);
		bl_json_end(&j);
		r = print_json(cli, &j);
	} else {
		char sz[32];
		printf("image:    %s (id %lld)\nfile:     %s (%s)\nsize:     %s\nidentity: %s\n"
		       "version:  %d%s\nclients:  %zu\n", img.name, (long long)img.id, img.path,
		       file_state, human_bytes(img.size, sz, sizeof(sz)), img.identity,
		       img.current_version, img.current_version ? "" : " (base file only)", nc);
		for (size_t i = 0; i < nc; i++)
			printf("  %s%s%s\n", cl[i].mac, cl[i].hostname ? "  " : "",
			       cl[i].hostname ? cl[i].hostname : "");
		for (size_t i = 0; i < nv; i++)
			printf("version %d%s: %s, on %d, %s\n", v[i].number,
			       v[i].number == img.current_version ? " (current)" : "",
			       state_name(&v[i]), v[i].parent, v[i].layer_path);
		r = EXIT_OK;
	}
	bl_versions_free(v, nv);
	bl_clients_free(cl, nc);
	bl_image_clear(&img);
	return r;
}

/* ---- remove ---- */

static int opt_force(int c, const char *arg, void *ctx)
{
	(void)arg;
	if (c == 'f')
		*(bool *)ctx = true;
	return 0;
}

static const struct option force_opts[] = { { "force", no_argument, NULL, 'f' }, { 0, 0, 0, 0 } };

static int image_remove(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME [--force]";
	bool force = false;
	int first, r;

	if ((r = parse_args(argc, argv, "image remove", usage,
			    "Removes an image record (the files stay). Refused while clients link "
			    "to it;\n--force removes those clients too.", force_opts, opt_force,
			    &force, 1, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli) || bl_op_image_remove(&cli->ops, argv[first], force) < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
}

static int image_rename(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "OLD NEW [--file]";
	static const struct option opts[] = { { "file", no_argument, NULL, 'f' }, { 0, 0, 0, 0 } };
	bool file = false;
	int first, r;

	if ((r = parse_args(argc, argv, "image rename", usage,
			    "Renames an image; links follow (they refer to the image, not its "
			    "name).\n--file also renames the base file to NEW plus the old "
			    "extension, in the same directory,\natomically with the record.", opts,
			    opt_force, &file, 2, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli) || bl_op_image_rename(&cli->ops, argv[first], argv[first + 1], file) < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
}

static int image_relocate(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME NEWPATH [--force]";
	bool force = false;
	int first, r;

	if ((r = parse_args(argc, argv, "image relocate", usage,
			    "Repairs an image's path after a disk or mount change: checks that the file "
			    "at NEWPATH\nis the same image (size, time, content sample) and moves the "
			    "image and every link to it.\n--force: proceed although linkmgr reports "
			    "clients of this image online.", force_opts, opt_force, &force, 2, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli) || bl_op_image_relocate(&cli->ops, argv[first], argv[first + 1], force) < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
}

/* ---- versions / commit / rollback ---- */

static int image_versions(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME";
	struct bl_image img;
	struct bl_version *v;
	struct bl_client *cl;
	size_t nv, nc;
	int first, r;

	if ((r = parse_args(argc, argv, "image versions", usage,
			    "Lists an image's versions: 0 is the base file, each later one a layer on its "
			    "parent.", NULL, NULL, NULL, 1, &first)) != ARGS_OK)
		return r;
	if (image_details(cli, argv[first], &img, &v, &nv, &cl, &nc))
		return EXIT_FAILED;
	if (cli->json) {
		struct bl_json j;
		bl_json_init(&j);
		bl_json_obj(&j);
		bl_json_kv_str(&j, "image", img.name);
		bl_json_kv_int(&j, "current_version", img.current_version);
		bl_json_key(&j, "versions");
		bl_json_arr(&j);
		for (size_t i = 0; i < nv; i++) {
			version_json(&j, &v[i], img.current_version);
		}
		bl_json_end(&j);
		bl_json_key(&j, "clients");
		bl_json_arr(&j);
		for (size_t i = 0; i < nc; i++) {
			bl_json_obj(&j);
			bl_json_kv_str(&j, "mac", cl[i].mac);
			bl_json_kv_int(&j, "booted_version", cl[i].booted_version);
			bl_json_kv_str(&j, "role", bl_role_name(cl[i].role));
			bl_json_end(&j);
		}
		bl_json_end(&j);
		bl_json_end(&j);
		r = print_json(cli, &j);
	} else {
		printf("%-8s %-10s %-7s %-8s %s\n", "VERSION", "STATE", "PARENT", "CLIENTS", "LAYER");
		printf("%-8s %-10s %-7s %-8s %s\n", img.current_version == 0 ? "0*" : "0", "base",
		       "-", "", img.path);
		for (size_t i = 0; i < nv; i++) {
			int on = 0;
			char num[16];
			for (size_t k = 0; k < nc; k++)
				on += cl[k].booted_version == v[i].number;
			snprintf(num, sizeof(num), "%d%s", v[i].number,
				 v[i].number == img.current_version ? "*" : "");
			printf("%-8s %-10s %-7d %-8d %s\n", num, state_name(&v[i]), v[i].parent, on,
			       v[i].layer_path);
		}
		printf("(* = current: what clients boot next)\n");
		r = EXIT_OK;
	}
	bl_versions_free(v, nv);
	bl_clients_free(cl, nc);
	bl_image_clear(&img);
	return r;
}

static int image_commit(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME [--force]";
	bool force = false;
	int first, r;

	if ((r = parse_args(argc, argv, "image commit", usage,
			    "Makes what the super client wrote the image's new current version. The "
			    "super client must be\nshut down; other clients move to the new version at "
			    "their next boot, running clients keep\ntheirs. --force: commit although "
			    "linkmgr is not running to confirm the super client is off.",
			    force_opts, opt_force, &force, 1, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli) || bl_op_image_commit(&cli->ops, argv[first], force) < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
}

static int image_rollback(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME VERSION";
	char *end;
	int first, r;

	if ((r = parse_args(argc, argv, "image rollback", usage,
			    "Makes an earlier committed VERSION (0 = the base file) current again. "
			    "Layers are kept;\nclients move at their next boot.", NULL, NULL, NULL,
			    2, &first)) != ARGS_OK)
		return r;
	long ver = strtol(argv[first + 1], &end, 10);
	if (*end || end == argv[first + 1] || ver < 0 || ver > 1000000)
		return usage_error("image rollback", usage, "VERSION must be a number");
	if (cli_db(cli) || bl_op_image_rollback(&cli->ops, argv[first], (int)ver) < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
}

const struct command image_commands[] = {
	{ "add", image_add, "NAME FILE", "register a base image file" },
	{ "list", image_list, "", "list images" },
	{ "show", image_show, "NAME", "show an image, its versions and clients" },
	{ "remove", image_remove, "NAME [--force]", "remove an image record" },
	{ "rename", image_rename, "OLD NEW [--file]", "rename an image (and its file)" },
	{ "relocate", image_relocate, "NAME NEWPATH [--force]", "repair an image's path" },
	{ "versions", image_versions, "NAME", "list an image's versions" },
	{ "commit", image_commit, "NAME [--force]", "make the super client's work the new version" },
	{ "rollback", image_rollback, "NAME VERSION", "make an earlier version current" },
	{ NULL, NULL, NULL, NULL },
};
