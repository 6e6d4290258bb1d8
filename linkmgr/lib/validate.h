/* Validation of everything that comes from an admin or the database before it reaches
 * SQLite, configfs, dnsmasq or iPXE text. Each check returns 0 or -EINVAL with a message
 * naming the input and the rule in bl_last_error().
 */
#ifndef BL_VALIDATE_H
#define BL_VALIDATE_H

#include <stddef.h>

#define BL_MAC_LEN 18		/* "aa:bb:cc:dd:ee:ff" + NUL */
#define BL_MAC12_LEN 13		/* "aabbccddeeff" + NUL */
#define BL_HOSTNAME_MAX 253
#define BL_IMAGE_NAME_MAX 64
#define BL_IQN_MAX 224		/* RFC 3720 limit on an iSCSI name is 223 bytes */

/* Accepts aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff, aabbccddeeff, any case.
 * Refuses multicast and all-zero addresses. out: lowercase colon form. */
int bl_mac_parse(const char *in, char out[BL_MAC_LEN]);
/* Normalized MAC -> 12 lowercase hex digits. */
void bl_mac12(const char *mac, char out[BL_MAC12_LEN]);

/* RFC 1123 host name: dot-separated labels of [a-z0-9-], no leading/trailing '-', label
 * <= 63, total <= 253. (Upper case refused rather than folded: what the admin typed is kept.) */
int bl_hostname_check(const char *name);
/* Image name: 1..64 of [A-Za-z0-9._-], starting with a letter or digit. */
int bl_image_name_check(const char *name);
/* Dotted-quad IPv4 address, no leading zeros, not 0.0.0.0 nor 255.255.255.255. */
int bl_ipv4_check(const char *addr);
/* "a.b.c.d/len" */
int bl_ipv4_cidr_check(const char *cidr);

/* Characters the TCMU dev_config / configfs control strings cannot carry, plus anything
 * unsafe in generated text: , ; = whitespace quotes backslash control characters. */
int bl_path_chars_check(const char *what, const char *path);
/* Absolute, normalized (no //, /./, /../, trailing /), safe characters. what names the input
 * in messages ("image file"). */
int bl_path_check(const char *what, const char *path);
/* Resolves path (realpath: every symlink) and requires the result inside dir (itself
 * resolved). out (PATH_MAX) gets the resolved path. -ENOENT if path does not exist. */
int bl_path_within(const char *what, const char *path, const char *dir, char *out);
/* Makes a relative path absolute against the cwd and normalizes . and .. lexically, without
 * touching the filesystem. out has PATH_MAX bytes. */
int bl_path_absolute(const char *path, char *out);

/* CHAP: user 1..255 printable non-space ASCII without quotes/backslash; secret 12..16 such
 * characters (Windows initiators refuse other lengths). */
int bl_chap_user_check(const char *user);
int bl_chap_secret_check(const char *secret);
/* IQN prefix: "iqn.YYYY-MM.reverse.domain" in [a-z0-9.-:], <= 200 chars. */
int bl_iqn_prefix_check(const char *prefix);

#endif
