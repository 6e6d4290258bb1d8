#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blcow.h"
#include "engine.h"
#include "error.h"

int eng_identity(const char *path, char id[ENG_IDENTITY_MAX], uint64_t *size)
{
	struct blc_identity ident;
	char err[512];
	int r = blc_identity_of(path, &ident, err, sizeof(err));

	if (r < 0)
		return bl_fail(r, "%s", err);
	r = blc_identity_format(&ident, id, ENG_IDENTITY_MAX);
	if (r < 0)
		return bl_fail(r, "%s: identity does not fit", path);
	*size = ident.size;
	return 0;
}

int eng_identity_matches(const char *path, const char *recorded)
{
	struct blc_identity now, then;
	char err[512];
	int r = blc_identity_of(path, &now, err, sizeof(err));

	if (r < 0)
		return bl_fail(r, "%s", err);
	if (blc_identity_parse(recorded, &then) < 0)
		return bl_fail(-EINVAL, "%s: recorded identity '%s' is malformed", path, recorded);
	return blc_identity_equal(&now, &then) ? 1 : 0;
}

int eng_backing(const char *file, char out[PATH_MAX])
{
	struct blc_chain *c;
	struct blc_layer_info li;
	char err[512];
	int r = blc_open(file, &(struct blc_open_opts){ .flags = BLC_OPEN_RDONLY }, &c, err,
			 sizeof(err));

	if (r < 0)
		return bl_fail(r, "%s", err);
	int n = blc_layer_count(c);
	r = n >= 2 ? blc_layer_info(c, n - 2, &li) : -EINVAL;
	if (r == 0 && !realpath(li.path, out))
		r = -errno;
	blc_close(c);
	return r < 0 ? bl_fail(r, "%s: cannot tell what it is based on: %s", file, strerror(-r)) : 0;
}

/* True if the chain topped by overlay sits directly on newlayer (a commit already done). */
static bool already_committed(const char *overlay, const char *newlayer)
{
	char a[PATH_MAX], b[PATH_MAX];

	return access(newlayer, F_OK) == 0 && eng_backing(overlay, a) == 0 &&
	       realpath(newlayer, b) && !strcmp(a, b);
}

int eng_commit(const char *overlay, const char *newlayer)
{
	struct blc_chain *c;
	char err[512];
	int r;

	if (already_committed(overlay, newlayer))
		return 0;
	r = blc_open(overlay, NULL, &c, err, sizeof(err));
	if (r < 0)
		return bl_fail(r, "%s", err);
	r = blc_commit(c, newlayer);
	if (r < 0) {
		blc_last_error(c, err, sizeof(err));
		bl_fail(r, "%s", err);
	}
	blc_close(c);
	return r;
}

int eng_rebase(const char *file, const char *newbacking)
{
	char err[512];
	int r = blc_rebase(file, newbacking, err, sizeof(err));

	return r < 0 ? bl_fail(r, "%s", err) : 0;
}
