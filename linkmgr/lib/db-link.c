/* db-link.c - everything linkmgr needs for a pass, in one read transaction (see db.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db-private.h"
#include "error.h"
#include "names.h"

/* ---- links (for linkmgr) ---- */

void bl_links_free(struct bl_link *links, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bl_link *l = &links[i];
		bl_client_clear(&l->client);
		free(l->image_name);
		free(l->base_path);
		free(l->base_identity);
		free(l->problem);
		bl_layers_free(l->chain, l->n_chain);
		if (l->building) {
			bl_version_clear(l->building);
			free(l->building);
		}
	}
	free(links);
}

static int fill_link(struct bl_link *l, const struct bl_image *img, const struct bl_version *v,
		     size_t nv)
{
	char what[128];
	int r;

	l->image_name = strdup(img->name);
	l->base_path = strdup(img->path);
	l->base_identity = img->identity ? strdup(img->identity) : NULL;
	l->size = img->size;
	l->current_version = img->current_version;
	if (!l->image_name || !l->base_path || (img->identity && !l->base_identity))
		return bl_fail(-ENOMEM, "out of memory");
	snprintf(what, sizeof(what), "image '%.80s'", img->name);
	if ((r = db_chain_from(v, nv, img->current_version, what, &l->chain, &l->n_chain)) < 0) {
		/* a damaged version row spoils this image's links only */
		if (r == -ENOMEM || !(l->problem = strdup(bl_last_error())))
			return bl_fail(-ENOMEM, "out of memory");
		l->chain = NULL;
		l->n_chain = 0;
	}
	if (l->client.role == BL_ROLE_SUPER) {
		for (size_t i = 0; i < nv; i++) {
			if (v[i].state != BL_VERSION_BUILDING)
				continue;
			l->building = calloc(1, sizeof(*l->building));
			if (!l->building)
				return bl_fail(-ENOMEM, "out of memory");
			*l->building = v[i];
			l->building->layer_path = strdup(v[i].layer_path);
			l->building->identity = NULL;
			if (!l->building->layer_path)
				return bl_fail(-ENOMEM, "out of memory");
		}
	}
	return 0;
}

int bl_db_load_links(struct bl_db *db, struct bl_link **out, size_t *n)
{
	struct bl_image *imgs = NULL;
	struct bl_client *cl = NULL;
	size_t ni = 0, nc = 0;
	struct bl_link *links = NULL;
	int r;

	*out = NULL;
	*n = 0;
	/* one read transaction: a consistent snapshot even while linkctl writes */
	if ((r = db_exec(db, "BEGIN", "starting a read transaction")) < 0)
		return r;
	if ((r = bl_db_image_list(db, &imgs, &ni)) < 0 ||
	    (r = bl_db_client_list(db, &cl, &nc)) < 0)
		goto out;
	links = calloc(nc ? nc : 1, sizeof(*links));
	if (!links) {
		r = bl_fail(-ENOMEM, "out of memory");
		goto out;
	}
	/* clients are few per image; versions are loaded once per image */
	for (size_t i = 0; i < ni && r >= 0; i++) {
		struct bl_version *v = NULL;
		size_t nv = 0;
		bool any = false;
		for (size_t k = 0; k < nc && !any; k++)
			any = cl[k].image_id == imgs[i].id;
		if (!any)
			continue;
		if ((r = bl_db_versions(db, imgs[i].id, &v, &nv)) < 0)
			break;
		for (size_t k = 0; k < nc; k++) {
			if (cl[k].image_id != imgs[i].id)
				continue;
			links[k].client = cl[k];
			memset(&cl[k], 0, sizeof(cl[k]));
			if ((r = fill_link(&links[k], &imgs[i], v, nv)) < 0)
				break;
		}
		bl_versions_free(v, nv);
	}
	if (r >= 0) {
		*out = links;
		*n = nc;
		links = NULL;
		r = (int)nc;
	}
out:
	sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	if (links)
		bl_links_free(links, nc);
	bl_clients_free(cl, nc);
	bl_images_free(imgs, ni);
	return r;
}
