/* linkctl image ...: base images and their versions.
 *
 * Files and database change together: rename --file and relocate move/rebase files inside a
 * BEGIN IMMEDIATE transaction and undo the file step if the commit fails, so a failure leaves
 * both as they were. A crash between the file step and the commit leaves the file at its new
 * place with the old record: `image relocate NAME NEWPATH` repairs that (identity check).
 */
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
#include "engine.h"
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

/* FILE argument: absolute, resolved, inside image_dir, a regular file, safe characters. */
static int image_file_arg(struct cli *cli, const char *in, char out[PATH_MAX])
{
	char abs[PATH_MAX];
	struct stat st;

	if (bl_path_absolute(in, abs) < 0 || bl_path_chars_check("image file", abs) < 0)
		return fail_last(cli);
	if (bl_path_within("image file", abs, cli->cfg.image_dir, out) < 0) {
		if (errno == ENOENT || access(abs, F_OK) < 0)
			return fail(cli, "image file %s: does not exist", abs);
		return fail(cli, "%s (image files must be inside image_dir %s)", bl_last_error(),
			    cli->cfg.image_dir);
	}
	if (stat(out, &st) < 0 || !S_ISREG(st.st_mode))
		return fail(cli, "image file %s: not a regular file", out);
	if (st.st_size == 0 || st.st_size % 512)
		return fail(cli, "image file %s: size %lld is not a positive multiple of 512 bytes",
			    out, (long long)st.st_size);
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
	char path[PATH_MAX], id[ENG_IDENTITY_MAX], what[PATH_MAX + 128], sz[32];
	struct bl_image img = { 0 };
	int first, r;

	if ((r = parse_args(argc, argv, "image add", usage,
			    "Registers FILE (inside image_dir) as the base image NAME.", NULL, NULL,
			    NULL, 2, &first)) != ARGS_OK)
		return r;
	if (bl_image_name_check(argv[first]) < 0)
		return fail_last(cli);
	if (cli_db(cli) || image_file_arg(cli, argv[first + 1], path))
		return EXIT_FAILED;
	if (eng_identity(path, id, &img.size) < 0)
		return fail_last(cli);
	if (strncmp(id, "raw:", 4) != 0)
		return fail(cli, "image file %s: is a bootlink layer or overlay, not a raw disk image",
			    path);
	img.name = argv[first];
	img.path = path;
	img.identity = id;
	if (bl_db_image_add(cli->db, &img) < 0)
		return fail_last(cli);
	snprintf(what, sizeof(what), "image '%s' added: %s (%s)", img.name, path,
		 human_bytes(img.size, sz, sizeof(sz)));
	char obj[96];
	snprintf(obj, sizeof(obj), "image %s", img.name);
	return report_change(cli, obj, what, extra_image, &(struct img_ctx){ &img, 0 });
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

/* Clients of one image (filtered from the full list; images have few hundred at most). */
static int image_clients(struct cli *cli, int64_t id, struct bl_client **out, size_t *n)
{
	struct bl_client *all;
	size_t na, k = 0;

	if (bl_db_client_list(cli->db, &all, &na) < 0)
		return -1;
	for (size_t i = 0; i < na; i++) {
		if (all[i].image_id == id)
			all[k++] = all[i];
		else
			bl_client_clear(&all[i]);
	}
	*out = all;
	*n = k;
	return 0;
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
	if (image_clients(cli, img->id, cl, nc) < 0) {
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
	int present = eng_identity_matches(img.path, img.identity);
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
	struct bl_image img;
	struct bl_client *cl;
	size_t nc;
	bool force = false;
	int first, r;
	char what[1024];

	if ((r = parse_args(argc, argv, "image remove", usage,
			    "Removes an image record (the files stay). Refused while clients link "
			    "to it;\n--force removes those clients too.", force_opts, opt_force,
			    &force, 1, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli) || image_arg(cli, argv[first], &img))
		return EXIT_FAILED;
	if (image_clients(cli, img.id, &cl, &nc) < 0) {
		bl_image_clear(&img);
		return fail_last(cli);
	}
	r = bl_db_image_remove(cli->db, img.name, force);
	if (r < 0) {
		bl_clients_free(cl, nc);
		bl_image_clear(&img);
		return fail_last(cli);
	}
	size_t o = (size_t)snprintf(what, sizeof(what), "image '%s' removed; its files stay in "
				    "place (%s)", img.name, img.path);
	if (nc) {
		o += (size_t)snprintf(what + o, sizeof(what) - o, "; %zu client(s) removed with it "
				      "and no longer boot:", nc);
		for (size_t i = 0; i < nc && o < sizeof(what) - 24; i++)
			o += (size_t)snprintf(what + o, sizeof(what) - o, " %s", cl[i].mac);
	}
	char obj[96];
	snprintf(obj, sizeof(obj), "image %s", img.name);
	r = report_change(cli, obj, what, NULL, NULL);
	bl_clients_free(cl, nc);
	bl_image_clear(&img);
	return r;
}

/* ---- moving the base file: shared by rename --file and relocate ---- */

/* Points every file that sits directly on the base (version layers built on version 0 and
 * overlays of clients on version 0) at newpath. Missing files are skipped (not created yet).
 * Returns the number rebased or -1 (message printed). */
static int rebase_on_base(struct cli *cli, const struct bl_image *img, const char *newpath)
{
	struct bl_version *v;
	struct bl_client *cl;
	size_t nv, nc;
	int done = 0, r = 0;

	if (bl_db_versions(cli->db, img->id, &v, &nv) < 0)
		return fail_last(cli), -1;
	if (image_clients(cli, img->id, &cl, &nc) < 0) {
		bl_versions_free(v, nv);
		return fail_last(cli), -1;
	}
	for (size_t i = 0; i < nv && r == 0; i++) {
		if (v[i].parent != 0 || access(v[i].layer_path, F_OK) < 0)
			continue;
		if (eng_rebase(v[i].layer_path, newpath) < 0)
			r = fail_last(cli);
		else
			done++;
	}
	for (size_t i = 0; i < nc && r == 0; i++) {
		char ovl[PATH_MAX];
		int on = cl[i].booted_version;
		if (cl[i].role == BL_ROLE_SUPER)
			on = img->current_version;	/* super overlays sit on the current top */
		overlay_path(cli, cl[i].mac, ovl, sizeof(ovl));
		if (on != 0 || access(ovl, F_OK) < 0)
			continue;
		if (eng_rebase(ovl, newpath) < 0)
			r = fail_last(cli);
		else
			done++;
	}
	bl_versions_free(v, nv);
	bl_clients_free(cl, nc);
	return r ? -1 : done;
}

/* Clients of the image that linkmgr reports online; such overlays are open in tcmu-runner and
 * must not be rebased under it. */
static int online_clients(struct cli *cli, int64_t image_id, char *list, size_t len)
{
	struct bl_client *cl;
	size_t nc, o = 0;
	int n = 0;

	list[0] = '\0';
	if (image_clients(cli, image_id, &cl, &nc) < 0)
		return 0;
	for (size_t i = 0; i < nc; i++) {
		if (client_online(cli, cl[i].mac) == 1) {
			n++;
			if (o + 20 < len)
				o += (size_t)snprintf(list + o, len - o, " %s", cl[i].mac);
		}
	}
	bl_clients_free(cl, nc);
	return n;
}

/* ---- rename ---- */

static int image_rename(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "OLD NEW [--file]";
	static const struct option opts[] = { { "file", no_argument, NULL, 'f' }, { 0, 0, 0, 0 } };
	struct bl_image img;
	bool file = false;
	char newpath[PATH_MAX], what[PATH_MAX * 2 + 128], online[256];
	int first, r;

	if ((r = parse_args(argc, argv, "image rename", usage,
			    "Renames an image; links follow (they refer to the image, not its "
			    "name).\n--file also renames the base file to NEW plus the old "
			    "extension, in the same directory,\natomically with the record.", opts,
			    opt_force, &file, 2, &first)) != ARGS_OK)
		return r;
	const char *newname = argv[first + 1];
	if (bl_image_name_check(newname) < 0)
		return fail_last(cli);
	if (cli_db(cli) || image_arg(cli, argv[first], &img))
		return EXIT_FAILED;
	if (!file) {
		if (bl_db_image_rename(cli->db, img.name, newname) < 0) {
			bl_image_clear(&img);
			return fail_last(cli);
		}
		snprintf(what, sizeof(what), "image '%s' renamed to '%s'", img.name, newname);
		goto done;
	}
	/* new file name: same directory, NEW + the old extension */
	const char *base = strrchr(img.path, '/') + 1, *ext = strrchr(base, '.');
	if (!ext || ext == base)
		ext = "";
	size_t dirlen = (size_t)(base - img.path);
	if ((size_t)snprintf(newpath, sizeof(newpath), "%.*s%s%s", (int)dirlen, img.path, newname,
			     ext) >= sizeof(newpath)) {
		bl_image_clear(&img);
		return fail(cli, "image '%s': new path too long", img.name);
	}
	if (online_clients(cli, img.id, online, sizeof(online)) > 0) {
		r = fail(cli, "image '%s': clients are online (%s ): their overlays are open, so "
			 "the file cannot move now; rename without --file, or retry when they are "
			 "off", img.name, online);
		bl_image_clear(&img);
		return r;
	}
	if (bl_db_begin(cli->db) < 0) {
		bl_image_clear(&img);
		return fail_last(cli);
	}
	if (bl_db_image_rename(cli->db, img.name, newname) < 0 ||
	    bl_db_image_set_path(cli->db, img.id, newpath, img.identity, img.size) < 0) {
		r = fail_last(cli);
		goto undo_db;
	}
	/* RENAME_NOREPLACE: never overwrite a file that happens to have the new name */
	if (renameat2(AT_FDCWD, img.path, AT_FDCWD, newpath, RENAME_NOREPLACE) < 0) {
		r = fail(cli, "image '%s': cannot rename %s to %s: %s", img.name, img.path, newpath,
			 strerror(errno));
		goto undo_db;
	}
	if (rebase_on_base(cli, &img, newpath) < 0 || bl_db_commit(cli->db) < 0) {
		if (*bl_last_error())
			fprintf(stderr, "linkctl: %s\n", bl_last_error());
		/* put the file back and point any rebased file at it again */
		if (rename(newpath, img.path) == 0)
			rebase_on_base(cli, &img, img.path);
		r = fail(cli, "image '%s': rename undone", img.name);
		goto undo_db;
	}
	snprintf(what, sizeof(what), "image '%s' renamed to '%s', file %s -> %s", img.name,
		 newname, img.path, newpath);
done:;
	char obj[96];
	snprintf(obj, sizeof(obj), "image %s", newname);
	r = report_change(cli, obj, what, NULL, NULL);
	bl_image_clear(&img);
	return r;
undo_db:
	bl_db_rollback(cli->db);
	bl_image_clear(&img);
	return r;
}

/* ---- relocate ---- */

static int image_relocate(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME NEWPATH [--force]";
	struct bl_image img;
	char path[PATH_MAX], what[PATH_MAX * 2 + 160], online[256];
	bool force = false;
	int first, r;

	if ((r = parse_args(argc, argv, "image relocate", usage,
			    "Repairs an image's path after a disk or mount change: checks that the file "
			    "at NEWPATH\nis the same image (size, time, content sample) and moves the "
			    "image and every link to it.\n--force: proceed although linkmgr reports "
			    "clients of this image online.", force_opts, opt_force, &force, 2, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli) || image_arg(cli, argv[first], &img))
		return EXIT_FAILED;
	if (image_file_arg(cli, argv[first + 1], path)) {
		bl_image_clear(&img);
		return EXIT_FAILED;
	}
	r = eng_identity_matches(path, img.identity);
	if (r <= 0) {
		r = r < 0 ? fail_last(cli) :
		    fail(cli, "image '%s': %s is not the same image (identity differs from the one "
			 "recorded when it was added); refusing to relink clients to it", img.name,
			 path);
		bl_image_clear(&img);
		return r;
	}
	if (!force && online_clients(cli, img.id, online, sizeof(online)) > 0) {
		r = fail(cli, "image '%s': clients are online (%s ); relocate when they are off, or "
			 "--force", img.name, online);
		bl_image_clear(&img);
		return r;
	}
	if (bl_db_begin(cli->db) < 0) {
		bl_image_clear(&img);
		return fail_last(cli);
	}
	int n = rebase_on_base(cli, &img, path);
	if (n < 0 || bl_db_image_set_path(cli->db, img.id, path, img.identity, img.size) < 0 ||
	    bl_db_commit(cli->db) < 0) {
		r = n < 0 ? EXIT_FAILED : fail_last(cli);
		bl_db_rollback(cli->db);
		bl_image_clear(&img);
		return r;
	}
	snprintf(what, sizeof(what), "image '%s' relocated: %s -> %s (same identity; %d layer/"
		 "overlay file(s) repointed)", img.name, img.path, path, n);
	char obj[96];
	snprintf(obj, sizeof(obj), "image %s", img.name);
	r = report_change(cli, obj, what, NULL, NULL);
	bl_image_clear(&img);
	return r;
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

/* The super client's overlay must sit on the version being built on (or, after a commit
 * interrupted before the database was updated, on the new layer itself): committing an overlay
 * on anything else would make a layer whose content is not "parent + changes". */
static int check_super_base(struct cli *cli, const struct bl_image *img,
			    const struct bl_version *v, const char *ovl)
{
	char below[PATH_MAX], want[PATH_MAX], done[PATH_MAX];
	struct bl_layer *chain;
	size_t n;

	if (eng_backing(ovl, below) < 0)
		return fail_last(cli), -1;
	if (bl_db_version_chain(cli->db, img->id, v->parent, &chain, &n) < 0)
		return fail_last(cli), -1;
	const char *parent = n ? chain[n - 1].path : img->path;
	bool ok = (realpath(parent, want) && !strcmp(below, want)) ||
		  (realpath(v->layer_path, done) && !strcmp(below, done));
	if (!ok)
		fail(cli, "image '%s': the super client's overlay %s sits on %s, not on version %d "
		     "(%s) that version %d is built on; let it boot once more (linkmgr prepares "
		     "its overlay) or cancel with `linkctl client super MAC --cancel`", img->name,
		     ovl, below, v->parent, parent, v->number);
	bl_layers_free(chain, n);
	return ok ? 0 : -1;
}

static int image_commit(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME [--force]";
	struct bl_image img;
	struct bl_version v;
	struct bl_client super;
	char ovl[PATH_MAX], id[ENG_IDENTITY_MAX], what[PATH_MAX + 256];
	uint64_t size;
	bool force = false;
	int first, r;

	if ((r = parse_args(argc, argv, "image commit", usage,
			    "Makes what the super client wrote the image's new current version. The "
			    "super client must be\nshut down; other clients move to the new version at "
			    "their next boot, running clients keep\ntheirs. --force: commit although "
			    "linkmgr is not running to confirm the super client is off.",
			    force_opts, opt_force, &force, 1, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli) || image_arg(cli, argv[first], &img))
		return EXIT_FAILED;
	if (bl_db_version_building(cli->db, img.id, &v) < 0) {
		bl_image_clear(&img);
		return fail(cli, "image '%s': no version is being built (start one with: linkctl "
			    "client super MAC)", argv[first]);
	}
	if (bl_db_image_super(cli->db, img.id, &super) < 0) {
		r = fail(cli, "image '%s': version %d is being built but no client is its super "
			 "client", img.name, v.number);
		goto out_v;
	}
	int on = client_online(cli, super.mac);
	if (on == 1 || (on < 0 && !force)) {
		r = fail(cli, "image '%s': super client %s %s; shut it down first so its disk is "
			 "consistent%s", img.name, super.mac, on == 1 ? "is online" :
			 "may be online (linkmgr is not running to tell)", on == 1 ? "" :
			 " (or --force if you know it is off)");
		goto out_c;
	}
	overlay_path(cli, super.mac, ovl, sizeof(ovl));
	if (super.reset != BL_RESET_NONE || access(ovl, F_OK) < 0) {
		r = fail(cli, "image '%s': super client %s has not booted since it became super "
			 "(linkmgr prepares its overlay then): nothing to commit", img.name, super.mac);
		goto out_c;
	}
	if (check_super_base(cli, &img, &v, ovl) < 0) {
		r = EXIT_FAILED;
		goto out_c;
	}
	/* linkmgr makes layer_dir at start; a commit before its first start must not fail */
	if (mkdir(cli->cfg.layer_dir, 0755) < 0 && errno != EEXIST) {
		r = fail(cli, "layer directory %s: %s", cli->cfg.layer_dir, strerror(errno));
		goto out_c;
	}
	if (eng_commit(ovl, v.layer_path) < 0 || eng_identity(v.layer_path, id, &size) < 0) {
		r = fail_last(cli);
		goto out_c;
	}
	/* The overlay now sits, empty, on the new layer: record that with the version. The
	 * super client's LUN may still be served by a tcmu-runner that opened the overlay
	 * before the commit and holds a stale picture of it; a reset makes linkmgr give the
	 * client a fresh overlay (empty on the new layer: nothing is lost) and rebuild its
	 * backstore while it is offline, before it boots again. */
	if (bl_db_begin(cli->db) < 0 ||
	    bl_db_version_set_committed(cli->db, v.id, id) < 0 ||
	    bl_db_image_set_current(cli->db, img.id, v.number) < 0 ||
	    bl_db_client_set_role(cli->db, super.mac, BL_ROLE_NORMAL) < 0 ||
	    bl_db_set_booted_version(cli->db, super.mac, v.number) < 0 ||
	    bl_db_client_set_reset(cli->db, super.mac, BL_RESET_OFFLINE) < 0 ||
	    bl_db_commit(cli->db) < 0) {
		r = fail_last(cli);
		bl_db_rollback(cli->db);
		fprintf(stderr, "linkctl: the layer %s is written; run `linkctl image commit %s` "
			"again to record it\n", v.layer_path, img.name);
		goto out_c;
	}
	snprintf(what, sizeof(what), "image '%s': version %d committed (%s) and current; clients "
		 "move to it at their next boot (persistent ones at `client reset`)", img.name,
		 v.number, v.layer_path);
	char obj[96];
	snprintf(obj, sizeof(obj), "image %s", img.name);
	r = report_change(cli, obj, what, NULL, NULL);
out_c:
	bl_client_clear(&super);
out_v:
	bl_version_clear(&v);
	bl_image_clear(&img);
	return r;
}

static int image_rollback(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "NAME VERSION";
	struct bl_image img;
	struct bl_version v;
	char what[256], *end;
	int first, r;

	if ((r = parse_args(argc, argv, "image rollback", usage,
			    "Makes an earlier committed VERSION (0 = the base file) current again. "
			    "Layers are kept;\nclients move at their next boot.", NULL, NULL, NULL,
			    2, &first)) != ARGS_OK)
		return r;
	long ver = strtol(argv[first + 1], &end, 10);
	if (*end || end == argv[first + 1] || ver < 0 || ver > 1000000)
		return usage_error("image rollback", usage, "VERSION must be a number");
	if (cli_db(cli) || image_arg(cli, argv[first], &img))
		return EXIT_FAILED;
	if (bl_db_version_building(cli->db, img.id, &v) == 0) {
		r = fail(cli, "image '%s': version %d is being built on version %d; commit it or "
			 "cancel it (linkctl client super MAC --cancel) first", img.name, v.number,
			 v.parent);
		bl_version_clear(&v);
		bl_image_clear(&img);
		return r;
	}
	if (bl_db_image_set_current(cli->db, img.id, (int)ver) < 0) {
		bl_image_clear(&img);
		return fail(cli, "image '%s': no committed version %ld", argv[first], ver);
	}
	snprintf(what, sizeof(what), "image '%s': current version %d -> %ld; clients move to it "
		 "at their next boot", img.name, img.current_version, ver);
	char obj[96];
	snprintf(obj, sizeof(obj), "image %s", img.name);
	r = report_change(cli, obj, what, NULL, NULL);
	bl_image_clear(&img);
	return r;
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
