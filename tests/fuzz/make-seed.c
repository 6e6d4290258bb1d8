/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes a valid header slot plus two map page slots to stdout: the fuzzer's seed. */
#include <stdio.h>
#include <string.h>

#include "format.h"

int main(void)
{
	static uint8_t out[3 * BLC_SLOT], payload[BLC_PAGE_PAYLOAD];
	struct blc_header h = { .gen = 1, .epoch = 1, .size = 1u << 30, .cluster_size = 65536,
				.block_size = 512, .sub_size = 4096 };

	h.backing = (struct blc_identity){ .kind = BLC_KIND_RAW, .size = h.size, .mtime_ns = 1,
					   .fingerprint = 42 };
	strcpy(h.backing_path, "/srv/images/base.img");
	blc_header_layout(&h);
	blc_header_encode(&h, out);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 37);     /* whole, partial and invalid masks */
	blc_page_encode(out + BLC_SLOT, 0, 1, 1, payload);
	blc_page_encode(out + 2 * BLC_SLOT, 0, 1, 2, payload);
	return fwrite(out, sizeof(out), 1, stdout) == 1 ? 0 : 1;
}
