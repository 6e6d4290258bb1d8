/* ops-client.c - clients: MAC links to images (see ops.h).
 *
 * All but remove change only the database: linkmgr then renews or rebuilds the client's disk
 * when it is offline (reconcile.c), never under a session. Remove drops the row first and the
 * disk after: a crash in between leaves an overlay file no client refers to, which the next
 * `client add` of that MAC replaces (a new link gets a new disk).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "error.h"
#include "names.h"
#include "ops.h"
#include "ops-internal.h"
#include "storage.h"
#include "validate.h"

int bl_op_client_get(struct bl_ops *o, const char *in, struct bl_client *out)
{
	char mac[BL_MAC_LEN];
	int r = bl_mac_parse(in, mac);
	return r < 0 ? r : bl_db_client_get(o->db, mac, out);
}

/* 16 characters from an alphabet every initiator and every generated file accepts. */
static int random_secret(char out[17])
{
	static const char abc[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	for (int i = 0; i < 16; i++)
		out[i] = abc[b[i] % (sizeof(abc) - 1)];
	out[16] = '\0';
	return 0;
}

static int check_fields(const struct bl_client_fields *f)
{
	int r = 0;
	if ((f->hostname && *f->hostname && (r = bl_hostname_check(f->hostname)) < 0) ||
	    (f->ip && *f->ip && (r = bl_ipv4_check(f->ip)) < 0) ||
	    (f->chap_user && (r = bl_chap_user_check(f->chap_user)) < 0) ||
	    (f->chap_secret && (r = bl_chap_secret_check(f->chap_secret)) < 0))
		return r;
	return 0;
}

static const char *or_null(const char *s)
{
	return s && *s ? s : NULL;
}

int bl_op_client_add(struct bl_ops *o, const char *in, const char *image,
		     const struct bl_client_fields *f)
{
	struct bl_client c = { 0 };
	struct bl_image img;
	char secret[17], user[32], m12[BL_MAC12_LEN];
	int r;

	if ((r = bl_mac_parse(in, c.mac)) < 0 || (r = check_fields(f)) < 0)
		return r;
	if (!f->chap_user != !f->chap_secret)
		return bl_fail(-EINVAL, "client %s: a CHAP user and a CHAP secret go together", c.mac);
	if ((r = bl_image_name_check(image)) < 0)
		return r;
	if ((r = bl_db_image_get(o->db, image, &img)) < 0)
		return bl_fail(r, "client %s: %s (see `linkctl image list`)", c.mac, bl_last_error());
	bl_mac12(c.mac, m12);
	snprintf(user, sizeof(user), "client-%s", m12);
	if (!f->chap_secret && (r = random_secret(secret)) < 0) {
		bl_image_clear(&img);
		return bl_fail(r, "client %s: cannot generate a CHAP secret: %s", c.mac, strerror(-r));
	}
	c.image_id = img.id;
	c.mode = f->mode ? *f->mode : BL_MODE_VOLATILE;
	c.hostname = (char *)or_null(f->hostname);
	c.ip = (char *)or_null(f->ip);
	c.enabled = !f->disabled;
	c.chap_user = (char *)(f->chap_user ? f->chap_user : user);
	c.chap_secret = (char *)(f->chap_secret ? f->chap_secret : secret);
	if ((r = bl_db_client_add(o->db, &c)) == 0) {
		ops_done(o, "client %s", c.mac);
		ops_say(o, "client %s added: image '%s', %s%s%s%s%s%s", c.mac, img.name,
			bl_mode_name(c.mode), c.hostname ? ", name " : "", c.hostname ? c.hostname : "",
			c.ip ? ", ip " : "", c.ip ? c.ip : "", f->disabled ? ", disabled" : "");
	}
	bl_image_clear(&img);
	return r < 0 ? r : ops_logged(o);
}

int bl_op_client_set(struct bl_ops *o, const char *mac, const struct bl_client_fields *f)
{
	struct bl_client c;
	int r;

	if ((r = check_fields(f)) < 0 || (r = bl_op_client_get(o, mac, &c)) < 0)
		return r;
#define REPLACE(field, val) \
	do { free(c.field); c.field = (val) && *(val) ? strdup(val) : NULL; } while (0)
	if (f->hostname)
		REPLACE(hostname, f->hostname);
	if (f->ip)
		REPLACE(ip, f->ip);
	if (f->chap_user)
		REPLACE(chap_user, f->chap_user);
	if (f->chap_secret)
		REPLACE(chap_secret, f->chap_secret);
#undef REPLACE
	if (f->mode)
		c.mode = *f->mode;
	if ((r = bl_db_client_update(o->db, &c)) == 0) {
		ops_done(o, "client %s", c.mac);
		ops_say(o, "client %s updated: name %s, ip %s, %s", c.mac,
			c.hostname ? c.hostname : "-", c.ip ? c.ip : "dhcp", bl_mode_name(c.mode));
	}
	bl_client_clear(&c);
	return r < 0 ? r : ops_logged(o);
}

int bl_op_client_link(struct bl_ops *o, const char *mac, const char *image)
{
	struct bl_client c;
	struct bl_image img, old = { 0 };
	int r;

	if ((r = bl_op_client_get(o, mac, &c)) < 0)
		return r;
	if ((r = bl_image_name_check(image)) < 0 || (r = bl_db_image_get(o->db, image, &img)) < 0) {
		bl_client_clear(&c);
		return r;
	}
	bool known = bl_db_image_get_id(o->db, c.image_id, &old) == 0;
	if ((r = bl_db_client_link(o->db, c.mac, img.id)) == 0) {
		ops_done(o, "client %s", c.mac);
		ops_say(o, "client %s linked to image '%s' (was '%s'); it boots the new image with a "
			"fresh overlay at its next boot", c.mac, img.name, known ? old.name : "?");
	}
	bl_image_clear(&old);
	bl_image_clear(&img);
	bl_client_clear(&c);
	return r < 0 ? r : ops_logged(o);
}

int bl_op_client_reset(struct bl_ops *o, const char *mac, bool force)
{
	struct bl_client c;
	int r;

	if ((r = bl_op_client_get(o, mac, &c)) < 0)
		return r;
	int on = ops_online(o, c.mac);
	if (on == 1 && !force) {
		r = bl_fail(-EBUSY, "client %s: is online; shut it down first, or --force to have it "
			    "reset the moment its session ends", c.mac);
		goto out;
	}
	enum bl_reset how = on == 1 ? BL_RESET_NOW : BL_RESET_OFFLINE;
	if ((r = bl_db_client_set_reset(o->db, c.mac, how)) < 0)
		goto out;
	ops_done(o, "client %s", c.mac);
	ops_say(o, "client %s: overlay reset %s", c.mac, how == BL_RESET_NOW ?
		"requested while it is online: its disk is reset the moment its session ends, never "
		"under it" : on == 0 ? "requested (client is offline)" :
		"requested (applies before its next boot)");
	r = ops_logged(o);
out:
	bl_client_clear(&c);
	return r;
}

int bl_op_client_remove(struct bl_ops *o, const char *mac, bool keep_disk)
{
	struct bl_client c;
	int r;

	if ((r = bl_op_client_get(o, mac, &c)) < 0)
		return r;
	if (c.role == BL_ROLE_SUPER) {
		r = bl_fail(-EBUSY, "client %s: is the super client of its image; commit or cancel "
			    "the new version first (linkctl client super %s --cancel)", c.mac, c.mac);
	} else if ((r = bl_db_client_remove(o->db, c.mac)) == 0) {
		ops_done(o, "client %s", c.mac);
		ops_say(o, "client %s removed", c.mac);
		if (!keep_disk) {
			/* linkmgr drops the LUN at its next pass: a tcmu-runner that still has the
			 * file open keeps its own reference until then */
			if (bl_storage_remove(o->cfg, c.mac) < 0)
				ops_add(o, "; its overlay could not be removed: %s", bl_last_error());
			else
				ops_add(o, " with its overlay");
		} else {
			ops_add(o, "; its overlay is kept");
		}
		r = ops_logged(o);
	}
	bl_client_clear(&c);
	return r;
}

int bl_op_client_enable(struct bl_ops *o, const char *mac, bool on)
{
	struct bl_client c;
	int r;

	if ((r = bl_op_client_get(o, mac, &c)) < 0)
		return r;
	if ((r = bl_db_client_set_enabled(o->db, c.mac, on)) == 0) {
		ops_done(o, "client %s", c.mac);
		ops_say(o, "client %s %s%s", c.mac, on ? "enabled" : "disabled",
			c.enabled == on ? " (it already was)" : "");
	}
	bl_client_clear(&c);
	return r < 0 ? r : ops_logged(o);
}

int bl_op_client_super(struct bl_ops *o, const char *mac, bool cancel)
{
	struct bl_client c;
	struct bl_image img;
	struct bl_version v = { 0 };
	int r;

	if ((r = bl_op_client_get(o, mac, &c)) < 0)
		return r;
	if ((r = bl_db_image_get_id(o->db, c.image_id, &img)) < 0) {
		bl_client_clear(&c);
		return r;
	}
	ops_done(o, "client %s", c.mac);
	if (cancel) {
		if (c.role != BL_ROLE_SUPER) {
			r = bl_fail(-EINVAL, "client %s: is not a super client", c.mac);
			goto out;
		}
		if ((r = bl_db_begin(o->db)) < 0)
			goto out;
		if (bl_db_version_building(o->db, img.id, &v) == 0) {
			r = bl_db_version_delete(o->db, v.id);
			bl_version_clear(&v);
			if (r < 0)
				goto db_fail;
		}
		if ((r = bl_db_client_set_role(o->db, c.mac, BL_ROLE_NORMAL)) < 0 ||
		    (r = bl_db_client_set_reset(o->db, c.mac, BL_RESET_OFFLINE)) < 0 ||
		    (r = bl_db_commit(o->db)) < 0)
			goto db_fail;
		ops_say(o, "client %s: no longer super client of image '%s'; the new version is "
			"discarded and its overlay reset before its next boot", c.mac, img.name);
		r = ops_logged(o);
		goto out;
	}
	if (c.role == BL_ROLE_SUPER) {
		r = bl_fail(-EEXIST, "client %s: is already the super client of image '%s'", c.mac,
			    img.name);
		goto out;
	}
	if ((r = bl_db_begin(o->db)) < 0)
		goto out;
	if ((r = bl_db_client_set_role(o->db, c.mac, BL_ROLE_SUPER)) < 0 ||
	    (r = bl_db_version_start(o->db, img.id, o->cfg->layer_dir, &v)) < 0 ||
	    (r = bl_db_client_set_reset(o->db, c.mac, BL_RESET_OFFLINE)) < 0 ||
	    (r = bl_db_commit(o->db)) < 0)
		goto db_fail;
	ops_say(o, "client %s: super client of image '%s'; from its next boot it builds version %d "
		"on version %d (layer %s). Other clients are not affected; finish with: linkctl "
		"image commit %s", c.mac, img.name, v.number, v.parent, v.layer_path, img.name);
	r = ops_logged(o);
	goto out;
db_fail:
	bl_db_rollback(o->db);
out:
	bl_version_clear(&v);
	bl_image_clear(&img);
	bl_client_clear(&c);
	return r;
}
