/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Encoding and parsing of header and map slots (doc/FORMAT.md).
 *
 * Every field is little-endian at a fixed offset, read with explicit loads so
 * nothing depends on struct layout or host byte order. Parsers trust nothing in
 * the buffer: they are the fuzzer's target (tests/fuzz/fuzz-header.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & -(c & 1));
		crc_table[i] = c;
	}
}

uint32_t blc_crc32c(uint32_t crc, const void *buf, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *p = buf;

	pthread_once(&once, crc_init);
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

uint32_t blc_default_sub(uint32_t cluster_size)
{
	uint32_t s = cluster_size / BLC_MAX_SUBS;
	return s < BLC_MIN_SUB ? (cluster_size < BLC_MIN_SUB ? cluster_size : BLC_MIN_SUB) : s;
}

void blc_header_layout(struct blc_header *h)
{
	uint64_t clusters = (h->size + h->cluster_size - 1) / h->cluster_size;

	h->map_offset = 2 * BLC_SLOT;
	h->map_pages = (clusters + BLC_PAGE_CLUSTERS - 1) / BLC_PAGE_CLUSTERS;
	if (h->map_pages == 0)
		h->map_pages = 1;
	/* data starts cluster-aligned so punching a cluster frees whole fs blocks */
	h->data_offset = h->map_offset + 2 * BLC_SLOT * h->map_pages;
	h->data_offset = (h->data_offset + h->cluster_size - 1) & ~(uint64_t)(h->cluster_size - 1);
}

uint64_t blc_data_len(const struct blc_header *h)
{
	return (h->size + h->cluster_size - 1) & ~(uint64_t)(h->cluster_size - 1);
}

/* The data area holds whole clusters, so even a short last cluster can be
 * punched to a hole on any file system block size. */
uint64_t blc_file_size(const struct blc_header *h)
{
	return h->data_offset + blc_data_len(h);
}

/* Header slot layout: offsets documented in doc/FORMAT.md. */
void blc_header_encode(const struct blc_header *h, uint8_t s[BLC_SLOT])
{
	size_t plen = strnlen(h->backing_path, BLC_PATH_MAX);

	memset(s, 0, BLC_SLOT);
	memcpy(s, BLC_MAGIC, 8);
	put32(s + 8, BLC_VERSION);
	put64(s + 16, h->gen);
	put64(s + 24, h->epoch);
	put64(s + 32, h->size);
	put32(s + 40, h->cluster_size);
	put32(s + 44, h->block_size);
	put32(s + 48, h->flags);
	put32(s + 52, h->sub_size);
	put64(s + 56, h->map_offset);
	put64(s + 64, h->map_pages);
	put64(s + 72, h->data_offset);
	memcpy(s + 80, h->uuid, 16);
	put32(s + 96, h->backing.kind);
	put32(s + 100, (uint32_t)plen);
	put64(s + 104, h->backing.size);
	put64(s + 112, (uint64_t)h->backing.mtime_ns);
	put64(s + 120, h->backing.fingerprint);
	memcpy(s + 128, h->backing.uuid, 16);
	memcpy(s + BLC_HDR_FIXED, h->backing_path, plen);
	put32(s + 12, blc_crc32c(0, s, BLC_SLOT));
}

#define FAIL(code, ...) do { if (err) snprintf(err, errlen, __VA_ARGS__); return -(code); } while (0)

int blc_header_parse(const uint8_t *s, size_t len, struct blc_header *h, char *err,
		     size_t errlen)
{
	uint8_t tmp[BLC_SLOT];
	uint32_t plen, version;

	if (len < BLC_SLOT)
		FAIL(EINVAL, "header truncated (%zu bytes, need %u)", len, BLC_SLOT);
	if (all_zero(s, BLC_SLOT))
		FAIL(ENODATA, "header slot is empty");
	if (memcmp(s, BLC_MAGIC, 8) != 0)
		FAIL(EINVAL, "not a bootlink layer file (wrong magic)");
	version = get32(s + 8);
	if (version != BLC_VERSION)
		FAIL(EPROTONOSUPPORT, "unsupported format version %u (this build reads %u)",
		     version, BLC_VERSION);
	memcpy(tmp, s, BLC_SLOT);
	put32(tmp + 12, 0);
	if (blc_crc32c(0, tmp, BLC_SLOT) != get32(s + 12))
		FAIL(EBADMSG, "header checksum mismatch (torn or corrupt)");

	memset(h, 0, sizeof(*h));
	h->gen = get64(s + 16);
	h->epoch = get64(s + 24);
	h->size = get64(s + 32);
	h->cluster_size = get32(s + 40);
	h->block_size = get32(s + 44);
	h->flags = get32(s + 48);
	h->sub_size = get32(s + 52);
	h->map_offset = get64(s + 56);
	h->map_pages = get64(s + 64);
	h->data_offset = get64(s + 72);
	memcpy(h->uuid, s + 80, 16);
	h->backing.kind = get32(s + 96);
	plen = get32(s + 100);
	h->backing.size = get64(s + 104);
	h->backing.mtime_ns = (int64_t)get64(s + 112);
	h->backing.fingerprint = get64(s + 120);
	memcpy(h->backing.uuid, s + 128, 16);

	/* the checksum proves only that we wrote it; the values must still make sense */
	if (h->block_size != 512 && h->block_size != 4096)
		FAIL(EINVAL, "invalid block size %u", h->block_size);
	if (h->cluster_size < BLC_MIN_CLUSTER || h->cluster_size > BLC_MAX_CLUSTER ||
	    (h->cluster_size & (h->cluster_size - 1)) || h->cluster_size < h->block_size)
		FAIL(EINVAL, "invalid cluster size %u", h->cluster_size);
	if (h->sub_size < BLC_MIN_SUB || h->sub_size > h->cluster_size ||
	    (h->sub_size & (h->sub_size - 1)) || h->cluster_size / h->sub_size > BLC_MAX_SUBS)
		FAIL(EINVAL, "invalid sub-block size %u for cluster size %u", h->sub_size,
		     h->cluster_size);
	if (h->size == 0 || h->size % h->block_size || h->size > (1ull << 50))
		FAIL(EINVAL, "invalid virtual size %llu", (unsigned long long)h->size);
	if (h->flags & ~(BLC_F_COMMITTED | BLC_F_OPEN))
		FAIL(EINVAL, "unknown flags 0x%x", h->flags);
	if (h->backing.kind != BLC_KIND_RAW && h->backing.kind != BLC_KIND_LAYER)
		FAIL(EINVAL, "invalid backing kind %u", h->backing.kind);
	if (plen == 0 || plen > BLC_PATH_MAX)
		FAIL(EINVAL, "invalid backing path length %u", plen);
	if (memchr(s + BLC_HDR_FIXED, 0, plen))
		FAIL(EINVAL, "backing path contains a NUL byte");
	memcpy(h->backing_path, s + BLC_HDR_FIXED, plen);
	h->backing_path[plen] = 0;

	struct blc_header want = *h;
	blc_header_layout(&want);
	if (h->map_offset != want.map_offset || h->map_pages != want.map_pages ||
	    h->data_offset != want.data_offset)
		FAIL(EINVAL, "map/data layout does not match size and cluster size");
	return 0;
}

void blc_page_encode(uint8_t s[BLC_SLOT], uint64_t pageno, uint64_t epoch, uint64_t gen,
		     const uint8_t payload[BLC_PAGE_PAYLOAD])
{
	memset(s, 0, BLC_PAGE_HDR);
	put32(s, BLC_PAGE_MAGIC);
	put64(s + 8, epoch);
	put64(s + 16, gen);
	put64(s + 24, pageno);
	memcpy(s + BLC_PAGE_HDR, payload, BLC_PAGE_PAYLOAD);
	put32(s + 4, blc_crc32c(0, s + 8, BLC_SLOT - 8));
}

int blc_page_parse(const uint8_t *s, size_t len, uint64_t pageno, uint64_t epoch,
		   uint64_t *gen, const uint8_t **payload)
{
	if (len < BLC_SLOT)
		return -EINVAL;
	if (get32(s) != BLC_PAGE_MAGIC) {
		if (all_zero(s, BLC_SLOT))
			return -ENODATA;
		return -EBADMSG;
	}
	if (get32(s + 4) != blc_crc32c(0, s + 8, BLC_SLOT - 8))
		return -EBADMSG;
	/* a valid slot written for another page index means a misplaced write: corrupt */
	if (get64(s + 24) != pageno)
		return -EBADMSG;
	if (get64(s + 8) != epoch)
		return -ESTALE;
	*gen = get64(s + 16);
	*payload = s + BLC_PAGE_HDR;
	return 0;
}

void blc_page_masks_get(const uint8_t p[BLC_PAGE_PAYLOAD], uint16_t *masks)
{
	for (uint32_t k = 0; k < BLC_PAGE_CLUSTERS; k++)
		masks[k] = (uint16_t)(p[2 * k] | p[2 * k + 1] << 8);
}

void blc_page_masks_put(uint8_t p[BLC_PAGE_PAYLOAD], const uint16_t *masks)
{
	for (uint32_t k = 0; k < BLC_PAGE_CLUSTERS; k++) {
		p[2 * k] = (uint8_t)masks[k];
		p[2 * k + 1] = (uint8_t)(masks[k] >> 8);
	}
}

bool blc_mask_valid(const struct blc_header *h, uint64_t cl, uint16_t m)
{
	uint16_t full = (uint16_t)((1u << (h->cluster_size / h->sub_size)) - 1);

	if (!m)
		return true;
	if (cl >= (h->size + h->cluster_size - 1) / h->cluster_size || (m & ~full))
		return false;
	return m == full || !(h->flags & BLC_F_COMMITTED);
}
