/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * blcow: the bootlink copy-on-write engine.
 *
 * A chain is one raw base image, zero or more read-only version layers and one
 * writable overlay on top (doc/FORMAT.md describes the files). The engine knows
 * files, offsets and iovecs only: no SCSI, no TCMU, no database.
 *
 * Conventions: every function returns 0 (or a count) or a negative errno.
 * Functions that have no chain yet take an `err` buffer (may be NULL) that
 * receives a message naming the file and the cause; functions on an open chain
 * leave the message in the chain (blc_last_error()).
 *
 * Threads: all I/O functions (readv, writev, discard, write_zeroes, flush) may be
 * called concurrently on one chain. reset, commit and close must not race with
 * I/O issued by the caller after they started (they wait for I/O in flight).
 * Many chains may share one base or version layer: each opens it read-only.
 */
#ifndef BL_BLCOW_H
#define BL_BLCOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct blc_chain;

/* ---- identity of a layer (what an overlay records about the layer below) ---- */

enum blc_kind { BLC_KIND_RAW = 1, BLC_KIND_LAYER = 2 };

struct blc_identity {
	uint32_t kind;           /* enum blc_kind */
	uint64_t size;           /* raw: file size; layer: virtual size */
	int64_t mtime_ns;        /* raw only */
	uint64_t fingerprint;    /* raw only: hash of the first 1 MiB + 64 spread 4 KiB blocks */
	uint8_t uuid[16];        /* layer only: random, written at create/commit */
};

/* Identity of the file at `path`: a bootlink layer file (by its header) or
 * anything else (treated as a raw image). Reads about 1.3 MiB of a raw file. */
int blc_identity_of(const char *path, struct blc_identity *id, char *err, size_t errlen);
bool blc_identity_equal(const struct blc_identity *a, const struct blc_identity *b);
/* Stable text form, for databases: "raw:SIZE:MTIME_NS:FP16HEX" or "layer:SIZE:UUID".
 * Returns the length written or -ENOSPC if `len` is too small (64 is enough). */
int blc_identity_format(const struct blc_identity *id, char *buf, size_t len);
int blc_identity_parse(const char *text, struct blc_identity *id);

/* ---- creating and opening ---- */

#define BLC_DEFAULT_CLUSTER (64u * 1024)

struct blc_create_opts {
	uint32_t cluster_size;   /* 0 = 64 KiB; power of two, 4 KiB .. 1 MiB, >= block_size;
	                            the overlay allocates in sub-blocks of max(4 KiB,
	                            cluster/16) inside it */
	uint32_t block_size;     /* 0 = 512; 512 or 4096: the logical block I/O is aligned to */
};

/* Create overlay `path` (must not exist) on top of `backing` (raw image or layer
 * file). A relative backing path is stored as given and resolved against the
 * overlay's directory at open. The virtual size is the backing's size. */
int blc_create(const char *path, const char *backing, const struct blc_create_opts *opts,
	       char *err, size_t errlen);

#define BLC_OPEN_RDONLY 0x1u     /* open the top read-only (info, version layers) */

struct blc_open_opts {
	unsigned flags;                  /* BLC_OPEN_* */
	const char *backing_override;    /* path of the layer right below the top, if it moved;
	                                    its identity must still match the recorded one */
};

/* Open the chain whose top is `path`. Checks every layer's identity, sizes, loops
 * and depth (at most BLC_MAX_DEPTH files); a mismatch fails with a message such as
 * "overlay pc01.ovl: base /srv/win10.img changed since the overlay was created (mtime)". */
#define BLC_MAX_DEPTH 64
int blc_open(const char *path, const struct blc_open_opts *opts, struct blc_chain **out,
	     char *err, size_t errlen);
/* Flushes (best effort; call blc_flush() first to see its result), then frees. */
void blc_close(struct blc_chain *c);

/* Copy of the last error message set by an operation on `c` (threads share it). */
void blc_last_error(struct blc_chain *c, char *buf, size_t len);

uint64_t blc_size(const struct blc_chain *c);           /* virtual size, bytes */
uint32_t blc_block_size(const struct blc_chain *c);
uint32_t blc_cluster_size(const struct blc_chain *c);
uint32_t blc_sub_block_size(const struct blc_chain *c);  /* the overlay's allocation unit */

/* ---- I/O. Offsets and lengths must be multiples of blc_block_size(). ---- */

/* Never block: read only if every byte is in the page cache and no lock is busy,
 * else return -EAGAIN at once (retry from a worker thread without the flag).
 * Uses preadv2(RWF_NOWAIT); on filesystems that refuse it, tmpfs/ramfs count as
 * resident and anything else answers -EAGAIN. */
#define BLC_NOWAIT 0x1u

/* Returns 0 when the whole range was transferred, or a negative errno. */
int blc_readv(struct blc_chain *c, const struct iovec *iov, int iovcnt, uint64_t off,
	      unsigned flags);
int blc_writev(struct blc_chain *c, const struct iovec *iov, int iovcnt, uint64_t off);
/* After blc_flush returns 0, every write/discard acknowledged before the call began
 * survives a crash or power cut. */
int blc_flush(struct blc_chain *c);
/* The range reads back as zeros afterwards (never base data). Both free overlay
 * space; they differ only in intent (UNMAP vs WRITE SAME with zeros). */
int blc_discard(struct blc_chain *c, uint64_t off, uint64_t len);
int blc_write_zeroes(struct blc_chain *c, uint64_t off, uint64_t len);

/* ---- maintenance ---- */

/* Drop all overlay data (reads show the layer below again). Durable on return. */
int blc_reset(struct blc_chain *c);
/* Turn the overlay's current content into the read-only version layer `newlayer`
 * (must not exist) whose backing is the overlay's backing; the overlay becomes an
 * empty overlay on top of `newlayer`, so what the chain reads does not change.
 * Crash-safe: at any point the overlay reads the same data. */
int blc_commit(struct blc_chain *c, const char *newlayer);
/* Point the overlay (or layer) file `path` at `newbacking`, only if its identity
 * matches the recorded one (the layer below was moved, not changed). */
int blc_rebase(const char *path, const char *newbacking, char *err, size_t errlen);

struct blc_check_result {
	unsigned problems;       /* inconsistencies found (repairable or not) */
	unsigned repaired;       /* of those, fixed (with repair = true) */
	unsigned notes;          /* harmless findings, e.g. a torn spare map slot */
	uint64_t leaked_bytes;   /* data stored for clusters the map does not use */
};
/* Check one layer/overlay file (and that its chain opens); with `repair`, fix what
 * can be fixed. `say` (may be NULL) receives one line per finding.
 * Returns 0, or a negative errno if the file cannot be examined at all. */
int blc_check(const char *path, bool repair, struct blc_check_result *res,
	      void (*say)(void *ctx, const char *line), void *ctx, char *err, size_t errlen);

/* ---- information ---- */

struct blc_layer_info {
	const char *path;        /* as resolved at open (valid while the chain is open) */
	struct blc_identity id;
	bool is_raw;
	bool committed;          /* read-only version layer */
	uint64_t allocated;      /* bytes of data the file holds (layer files) */
};
int blc_layer_count(const struct blc_chain *c);      /* base = 0 .. top = count-1 */
int blc_layer_info(struct blc_chain *c, int i, struct blc_layer_info *out);

#endif
