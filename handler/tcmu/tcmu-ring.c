/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcmu-ring: see tcmu-ring.h for why and when this is safe. The ring layout is the kernel's
 * (linux/target_core_user.h, a stable userspace ABI). */
#include <errno.h>
#include <linux/target_core_user.h>
#include <time.h>

#include "tcmu-ring.h"

/* The first command entry at the tail (completions skip PADs too), or NULL when the ring holds
 * nothing not yet completed or something that is neither a PAD nor a command. */
static struct tcmu_cmd_entry *oldest_entry(struct tcmu_mailbox *mb)
{
	/* cmd_tail moves when a worker thread completes a command: read it like the kernel does */
	uint32_t tail = __atomic_load_n(&mb->cmd_tail, __ATOMIC_ACQUIRE);
	uint32_t head = __atomic_load_n(&mb->cmd_head, __ATOMIC_ACQUIRE);

	/* a PAD is only ever followed by the entry at the start of the ring: two hops at most */
	for (int hop = 0; hop < 2 && tail != head; hop++) {
		struct tcmu_cmd_entry *e = (void *)((char *)mb + mb->cmdr_off + tail);
		uint32_t len_op = e->hdr.len_op;

		if (tcmu_hdr_get_op(len_op) == TCMU_OP_CMD)
			return e;
		if (tcmu_hdr_get_op(len_op) != TCMU_OP_PAD || tcmu_hdr_get_len(len_op) == 0)
			return NULL;
		tail = (tail + tcmu_hdr_get_len(len_op)) % mb->cmdr_size;
	}
	return NULL;
}

int bl_ring_set_read_len(void *mailbox, uint16_t cmd_id, uint32_t read_len, unsigned wait_ms)
{
	struct tcmu_mailbox *mb = mailbox;
	const struct timespec pause = {0, 100 * 1000};
	unsigned long waited_us = 0;

	if (!mb || !(mb->flags & TCMU_MAILBOX_FLAG_CAP_READ_LEN))
		return -ENOTSUP;
	for (;;) {
		struct tcmu_cmd_entry *e = oldest_entry(mb);

		if (!e)
			return -ENOENT;
		if (e->hdr.cmd_id == cmd_id) {
			e->rsp.read_len = read_len;
			e->hdr.uflags |= TCMU_UFLAG_READ_LEN;
			return 0;
		}
		if (waited_us >= wait_ms * 1000ul)
			return -EBUSY;
		nanosleep(&pause, NULL);
		waited_us += 100;
	}
}
