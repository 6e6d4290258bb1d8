/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: header slot and map page parsing (handler/format.c).
 * Input: a header slot followed by map page slots. Both parsers must reject
 * garbage with an error, never crash or read outside the buffer; the masks of a
 * valid page are decoded and judged against the header (blc_mask_valid). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blc_header h;
	char err[256];
	uint64_t epoch = 1, gen;
	const uint8_t *payload;
	uint16_t masks[BLC_PAGE_CLUSTERS];
	bool have_header = false;

	/* exact-size copies so ASan catches any read past a slot */
	uint8_t *slot = malloc(BLC_SLOT);
	size_t n = size < BLC_SLOT ? size : BLC_SLOT;
	memset(slot, 0, BLC_SLOT);
	memcpy(slot, data, n);
	if (blc_header_parse(slot, size < BLC_SLOT ? size : BLC_SLOT, &h, err, sizeof(err)) == 0) {
		epoch = h.epoch;
		have_header = true;
		if (h.sub_size < BLC_MIN_SUB || h.cluster_size / h.sub_size > BLC_MAX_SUBS)
			abort();         /* a parsed header must give a sane sub-block count */
		if (blc_file_size(&h) < h.data_offset || h.data_offset < h.map_offset)
			abort();         /* layout must be sane after a successful parse */
	}
	for (size_t off = BLC_SLOT, p = 0; off < size; off += BLC_SLOT, p++) {
		size_t len = size - off < BLC_SLOT ? size - off : BLC_SLOT;
		memset(slot, 0, BLC_SLOT);
		memcpy(slot, data + off, len);
		if (blc_page_parse(slot, len, p / 2, epoch, &gen, &payload) == 0) {
			unsigned valid = 0;
			blc_page_masks_get(payload, masks);
			for (uint64_t i = 0; have_header && i < BLC_PAGE_CLUSTERS; i++)
				valid += blc_mask_valid(&h, p / 2 * BLC_PAGE_CLUSTERS + i, masks[i]);
			(void)valid;
		}
	}
	free(slot);
	return 0;
}
