/* SPDX-License-Identifier: GPL-2.0-or-later */
/* On-disk structures of a layer file, as doc/FORMAT.md describes them.
 * Parsing takes plain buffers so the fuzzer can drive it. */
#ifndef BL_FORMAT_H
#define BL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "blcow.h"

#define BLC_MAGIC "BLCOWIMG"
#define BLC_VERSION 2u
#define BLC_SLOT 4096u                 /* header and map slots */
#define BLC_HDR_FIXED 144u             /* bytes before the backing path */
#define BLC_PATH_MAX (BLC_SLOT - BLC_HDR_FIXED - 1)
#define BLC_PAGE_MAGIC 0x504d4c42u     /* "BLMP" */
#define BLC_PAGE_HDR 32u
#define BLC_PAGE_PAYLOAD (BLC_SLOT - BLC_PAGE_HDR)
#define BLC_PAGE_CLUSTERS (BLC_PAGE_PAYLOAD / 2u)   /* a 16-bit mask per cluster */
#define BLC_MIN_CLUSTER 4096u
#define BLC_MAX_CLUSTER (1u << 20)
#define BLC_MIN_SUB 4096u
#define BLC_MAX_SUBS 16u                 /* sub-blocks per cluster: bits of a mask */

#define BLC_F_COMMITTED 0x1u
#define BLC_F_OPEN 0x2u                  /* opened for writing and not closed cleanly yet */

struct blc_header {
	uint64_t gen;            /* slot generation: the valid slot with the higher one wins */
	uint64_t epoch;          /* map pages of another epoch read as empty (reset, commit) */
	uint64_t size;
	uint32_t cluster_size;
	uint32_t block_size;
	uint32_t sub_size;       /* allocation unit inside a cluster: one mask bit each */
	uint32_t flags;
	uint64_t map_offset;
	uint64_t map_pages;
	uint64_t data_offset;
	uint8_t uuid[16];
	struct blc_identity backing;
	char backing_path[BLC_PATH_MAX + 1];
};

uint32_t blc_crc32c(uint32_t crc, const void *buf, size_t len);

/* The default sub-block size for a cluster size: 4 KiB, or cluster/16 if larger. */
uint32_t blc_default_sub(uint32_t cluster_size);
/* Geometry for a new file: fills map_*, data_offset from size and cluster_size. */
void blc_header_layout(struct blc_header *h);
uint64_t blc_file_size(const struct blc_header *h);
uint64_t blc_data_len(const struct blc_header *h);   /* size rounded up to clusters */
void blc_header_encode(const struct blc_header *h, uint8_t slot[BLC_SLOT]);
/* 0 if the slot holds a valid header; -ENODATA if it is all zeros (never
 * written); -EBADMSG / -EPROTONOSUPPORT / -EINVAL with a message otherwise. */
int blc_header_parse(const uint8_t *slot, size_t len, struct blc_header *h, char *err,
		     size_t errlen);

/* Map page slots. Parse returns 0 and the slot's generation if the slot is valid
 * for (pageno, epoch), -ENODATA for an all-zero slot, -ESTALE for a valid slot of
 * another epoch (reads as empty), -EBADMSG for a torn or corrupt slot. */
void blc_page_encode(uint8_t slot[BLC_SLOT], uint64_t pageno, uint64_t epoch, uint64_t gen,
		     const uint8_t payload[BLC_PAGE_PAYLOAD]);
int blc_page_parse(const uint8_t *slot, size_t len, uint64_t pageno, uint64_t epoch,
		   uint64_t *gen, const uint8_t **payload);

/* A page payload holds BLC_PAGE_CLUSTERS little-endian 16-bit masks; these convert
 * it from/to the in-memory masks of that page. */
void blc_page_masks_get(const uint8_t payload[BLC_PAGE_PAYLOAD], uint16_t *masks);
void blc_page_masks_put(uint8_t payload[BLC_PAGE_PAYLOAD], const uint16_t *masks);
/* Could a writer have left mask m for cluster cl of the file with header h? Not:
 * bits past the cluster's sub-blocks, a cluster past the end, or a partial
 * cluster in a committed layer (commit always completes them). */
bool blc_mask_valid(const struct blc_header *h, uint64_t cl, uint16_t m);

#endif
