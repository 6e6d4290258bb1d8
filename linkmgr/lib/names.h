/* names.h - every name bootlink derives from a client, an image or a version, spelled once.
 *
 * linkmgr, linkctl, the storage backends and doctor all build these names; each is made only
 * here, so a change of scheme is a change of this file. Writers return 0 or -ENAMETOOLONG
 * (with a message naming the object) when the buffer is too small.
 */
#ifndef BL_NAMES_H
#define BL_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "validate.h"

/* ---- boot files, relative to tftp_root ---- */
#define BL_BOOTFILE_BIOS "undionly.kpxe"	/* chainloaded by a BIOS PXE ROM */
#define BL_BOOTFILE_UEFI "ipxe.efi"		/* chainloaded by UEFI PXE firmware */
#define BL_SCRIPT_DIR "bootlink"		/* iPXE scripts */
/* The group dnsmasq runs as (the generated dnsmasq.conf says so when it exists; the packages'
 * sysusers.d creates it): client scripts are readable by it only. */
#define BL_TFTP_GROUP "bootlink-tftp"
#define BL_SCRIPT_DISPATCH BL_SCRIPT_DIR "/boot.ipxe"	/* every iPXE runs this first */
#define BL_SCRIPT_SUFFIX ".ipxe"
/* "<mac12>.ipxe", a client's own script inside BL_SCRIPT_DIR */
int bl_name_script(const char *mac, char *out, size_t len);
/* Is name a client script's file name? mac12 (may be NULL) gets its 12 hex digits. */
bool bl_name_is_script(const char *name, char mac12[BL_MAC12_LEN]);
/* A client's own TFTP root below tftp_root: its MAC with dashes, "52-54-00-12-34-56", the
 * spelling of dnsmasq's --tftp-unique-root=mac (dnsmasq serves a client only from there). */
int bl_name_tftp_dir(const char *mac, char *out, size_t len);
/* Is name such a directory's name? */
bool bl_name_is_tftp_dir(const char *name);
/* Is base (a TFTP file name without directory) one of the chainloaded iPXE boot files? */
bool bl_name_is_bootfile(const char *base);

/* ---- storage ---- */
/* "<overlay_dir>/<mac12>.ovl" */
int bl_name_overlay(const char *overlay_dir, const char *mac, char *out, size_t len);
/* "<layer_dir>/<image id>-v<version>.layer" */
int bl_name_layer(const char *layer_dir, int64_t image_id, int version, char *out, size_t len);

/* ---- LIO ---- */
#define BL_BACKSTORE_PREFIX "bl-"
#define BL_TPG "tpgt_1"
#define BL_LUN0 "lun_0"
/* "bl-<mac12>", in core/user_<hba> */
int bl_name_backstore(const char *mac, char *out, size_t len);
/* "<prefix>:target-<mac12>" and "<prefix>:client-<mac12>"; mac normalized. */
int bl_target_iqn(const char *prefix, const char *mac, char *out, size_t len);
int bl_initiator_iqn(const char *prefix, const char *mac, char *out, size_t len);
/* "iscsi/<target iqn>/tpgt_1", relative to configfs' target/ */
int bl_name_tpg(const char *target_iqn, char *out, size_t len);

/* ---- words of the model, both ways ---- */
const char *bl_mode_name(enum bl_mode m);		/* "volatile", "persistent" */
int bl_mode_parse(const char *s, enum bl_mode *out);	/* -EINVAL if neither */
const char *bl_role_name(enum bl_role r);		/* "normal", "super" */
int bl_role_parse(const char *s, enum bl_role *out);

/* A client runs an older version than its image's current one and keeps it until reset:
 * a persistent client that booted an older version (a super client builds, never lags). */
bool bl_update_pending(const struct bl_client *c, int current_version);

/* A byte count for people: "512 B", "20.0 GiB". */
const char *bl_human_bytes(uint64_t v, char *buf, size_t len);

#endif
