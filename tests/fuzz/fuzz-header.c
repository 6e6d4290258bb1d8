/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: header slot and map page parsing (handler/format.c).
 * Input: a header slot followed by map page slots. Both parsers must reject
 * garbage with an error, never crash or read outside the buffer. */
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

	/* exact-size copies so ASan catches any read past a slot */
	uint8_t *slot = malloc(BLC_SLOT);
	size_t n = size < BLC_SLOT ? size : BLC_SLOT;
	memset(slot, 0, BLC_SLOT);
	memcpy(slot, data, n);
	if (blc_header_parse(slot, size < BLC_SLOT ? size : BLC_SLOT, &h, err, sizeof(err)) == 0) {
		epoch = h.epoch;
		if (blc_file_size(&h) < h.data_offset || h.data_offset < h.map_offset)
			abort();         /* layout must be sane after a successful parse */
	}
	for (size_t off = BLC_SLOT, p = 0; off < size; off += BLC_SLOT, p++) {
		size_t len = size - off < BLC_SLOT ? size - off : BLC_SLOT;
		memset(slot, 0, BLC_SLOT);
		memcpy(slot, data + off, len);
		if (blc_page_parse(slot, len, p / 2, epoch, &gen, &payload) == 0) {
			unsigned states = 0;
			for (uint64_t i = 0; i < BLC_PAGE_CLUSTERS; i++)
				states += blc_map_get(payload, i);
			(void)states;
		}
	}
	free(slot);
	return 0;
}
