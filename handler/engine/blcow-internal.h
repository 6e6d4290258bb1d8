/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the engine's files; not for the plugin or tools. */
#ifndef BL_BLCOW_INTERNAL_H
#define BL_BLCOW_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "blcow.h"
#include "format.h"
#include "io.h"

/* blc_header_read's answer for a file that is not a layer file at all */
#define ENOTBLC EMEDIUMTYPE

/* Sets err (printf-style) and returns `code` (a negative errno). */
int blc_err(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Map pages as found on disk, for check. */
struct blc_map_scan {
	uint64_t torn_slots;     /* one slot of a page unreadable, the other fine */
	uint64_t bad_pages;      /* no readable slot although something was written */
	uint64_t bad_states;     /* masks no writer makes: bits past the cluster's sub-blocks,
	                            or a partial cluster in a committed layer */
	uint8_t *bad;            /* optional, one byte per page: set for bad pages */
};

struct blc_layer {
	int fd;
	char *path;              /* as resolved (what open() got) */
	bool raw;
	bool committed;
	uint64_t data_off;       /* file offset of virtual offset 0 */
	struct blc_header hdr;   /* layer files only */
	int hslot;               /* slot holding hdr */
	uint16_t *map;           /* layer files: per cluster, bit k = sub-block k is in this
	                            file; pages concatenated (BLC_PAGE_CLUSTERS each) */
	uint64_t *page_gen;      /* top only: generation and slot of each page's newest copy */
	uint8_t *page_slot;
	int nowait;              /* 0 untested/works, 1 unsupported but resident, 2 unsupported */
};

/* Read the newest valid header slot. -ENOTBLC if neither slot has our magic. */
int blc_header_read(int fd, struct blc_header *h, int *slot, char *err, size_t errlen,
		    const char *path);
/* Write `h` with the next generation into the slot not holding the current one
 * (so a torn write leaves the old header readable), then fdatasync. -ESTALE
 * (nothing written) if another process wrote a header since `h` was read. */
int blc_header_write(int fd, struct blc_header *h, int *slot);
/* What a blc_header_write failure means, for messages. */
const char *blc_header_error(int r);

int blc_layer_open(const char *path, bool writable, struct blc_layer **out, char *err,
		   size_t errlen);
/* (Re)load the map of a layer file from disk; scan (may be NULL) counts damage. */
int blc_layer_load_map(struct blc_layer *l, struct blc_map_scan *scan);
void blc_layer_free(struct blc_layer *l);
/* What to do when RWF_NOWAIT is refused: 1 = the fs is always resident, 2 = may block. */
int blc_layer_nowait_mode(struct blc_layer *l);
/* Persist one map page (the page's masks): next generation into the other slot (no
 * sync). */
int blc_layer_write_page(struct blc_layer *l, uint64_t page, const uint16_t *masks);
/* Sub-blocks per cluster, and the mask of a cluster held whole. */
static inline unsigned blc_nsub(const struct blc_header *h)
{
	return h->cluster_size / h->sub_size;
}
static inline uint16_t blc_full_mask(const struct blc_header *h)
{
	return (uint16_t)((1u << blc_nsub(h)) - 1);
}
/* Data in l's data area that its map does not use (left by a crash): counted in
 * *bytes, punched if `punch`. Sub-blocks of pages flagged in `bad` (may be NULL)
 * are skipped, or with `adopt` marked as held (check's rebuild of a lost page). */
int blc_layer_reclaim(struct blc_layer *l, bool punch, const uint8_t *bad, bool adopt,
		      uint64_t *bytes);

int blc_identity_of_fd(int fd, const char *path, struct blc_identity *id, char *err,
		       size_t errlen);
/* NULL if equal, else what differs ("size", "mtime", ...). */
const char *blc_identity_diff(const struct blc_identity *want, const struct blc_identity *got);

/* Writes that set bits lock the stripes of their clusters (up to BLC_RUN at a
 * time), always in ascending stripe order: with one global order no set of
 * threads can wait on each other in a cycle. */
#define BLC_STRIPES 128
#define BLC_RUN (BLC_STRIPES / 2)

struct blc_chain {
	struct blc_layer **layers;   /* [0] base .. [n-1] top */
	int n;
	char *top_path;
	bool readonly;
	uint64_t size;
	uint32_t cluster, cshift, bsize, sub, sshift;
	uint16_t full;               /* mask of a cluster the top holds whole */
	uint64_t nclusters;
	uint8_t *table;              /* per cluster: the layer below the top serving it */
	uint16_t *mask;              /* = the top's map: sub-blocks the top holds */
	uint8_t *dirty;              /* per map page of the top, guarded by map_lock */
	pthread_mutex_t map_lock;
	uint32_t gate;               /* I/O in flight, | BLC_GATE_CLOSED while reset/commit runs */
	pthread_mutex_t gate_lock;   /* held by reset/commit; closed-out I/O waits on it */
	pthread_mutex_t flush_lock;
	pthread_mutex_t stripe[BLC_STRIPES];
	pthread_mutex_t err_lock;
	char errmsg[512];
};

/* Chain-level message (and return `code`). */
int blc_cerr(struct blc_chain *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Open the layers of the chain with top `path` into c (c zeroed by caller). */
int blc_chain_load(struct blc_chain *c, const char *path, const struct blc_open_opts *o,
		   char *err, size_t errlen);
void blc_chain_unload(struct blc_chain *c);
void blc_chain_build_table(struct blc_chain *c);
/* I/O against reset and commit: I/O enters the gate (one atomic add; false =
 * closed and `nowait`), reset/commit close it and wait until the I/O inside has
 * left. Cheaper than a rwlock on the read path; closing wins over new I/O. */
#define BLC_GATE_CLOSED 0x80000000u
bool blc_gate_enter(struct blc_chain *c, bool nowait);
void blc_gate_leave(struct blc_chain *c);
void blc_gate_close(struct blc_chain *c);
void blc_gate_open(struct blc_chain *c);

/* The layer serving the byte at `at`, and in *n how many bytes from there (at
 * most `left`) it serves in one piece: what reads and commit's copy follow. */
uint8_t blc_source_run(struct blc_chain *c, uint64_t at, size_t left, size_t *n);

/* Flush with the gate entered or closed by the caller. */
int blc_flush_locked(struct blc_chain *c);
/* Resolve a backing path stored in layer `owner` (relative = to owner's dir). */
char *blc_resolve_backing(const char *owner, const char *backing);
/* Allocated bytes in [off, off+len) of fd, by SEEK_DATA/SEEK_HOLE. */
uint64_t blc_allocated(int fd, uint64_t off, uint64_t len);

#endif
