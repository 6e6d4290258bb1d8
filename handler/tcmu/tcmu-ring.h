/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcmu-ring: tells the kernel how many bytes a data-in command really returned, which
 * tcmu-runner 1.5.4 never does.
 *
 * Why: an initiator may ask for more than a command returns (INQUIRY with a 255-byte
 * allocation length, a READ whose iSCSI expected length exceeds its blocks). LIO's own
 * backstores then send only the real data and report the rest as an underflow residual; through
 * TCMU the initiator gets its whole expected length, padding included, unless userspace sets
 * rsp.read_len in the ring (TCMU_UFLAG_READ_LEN, kernel capability TCMU_MAILBOX_FLAG_CAP_READ_LEN).
 *
 * The catch: libtcmu 1.5.4 writes every completion into the entry at the ring's tail (mailbox
 * cmd_tail), whichever command it completes, and only sets status and sense there. So read_len
 * may be set only in the entry the command's own completion will land in, i.e. when the command
 * is the oldest one not yet completed: then, since tcmu-runner fetches and hands a command to
 * the handler before it fetches the next, nothing else can complete before it. The handler calls
 * this from handle_cmd, in the device's command thread, for commands it completes there; older
 * commands still running in worker threads are waited for (they complete without the command
 * thread), for at most `wait_ms`.
 */
#ifndef BL_TCMU_RING_H
#define BL_TCMU_RING_H

#include <stdint.h>

/* `mailbox` is the start of the device's shared memory (tcmu_dev_get_memory_info()).
 * Returns 0 when the command's completion will carry read_len; -ENOTSUP when the kernel does
 * not take read_len, -EBUSY when older commands were still running after wait_ms, -ENOENT when
 * the command is not in the ring (then the command completes without a residual). */
int bl_ring_set_read_len(void *mailbox, uint16_t cmd_id, uint32_t read_len, unsigned wait_ms);

#endif
