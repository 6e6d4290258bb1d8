/* Tests for handler/tcmu-ring.c: setting a data-in residual (rsp.read_len) in TCMU's ring, only
 * in the entry the command's own completion will be written to, on a ring laid out in memory
 * the way the kernel lays it out. */
#include <errno.h>
#include <linux/target_core_user.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "tcmu-ring.h"

#define CMDR_OFF 128 /* sizeof(struct tcmu_mailbox), as the kernel places the ring */
#define CMDR_SIZE 4096
#define ENTRY 128

static _Alignas(64) uint8_t shm[CMDR_OFF + CMDR_SIZE];

static struct tcmu_mailbox *mb(void) { return (struct tcmu_mailbox *)shm; }
static struct tcmu_cmd_entry *at(uint32_t off) { return (void *)(shm + CMDR_OFF + off); }

static void ring(uint16_t flags)
{
	memset(shm, 0, sizeof shm);
	mb()->version = 2;
	mb()->flags = flags;
	mb()->cmdr_off = CMDR_OFF;
	mb()->cmdr_size = CMDR_SIZE;
}

/* An entry as the kernel queues it; a PAD may be as short as its 8-byte header. */
static void put(uint32_t off, enum tcmu_opcode op, uint32_t len, uint16_t cmd_id)
{
	struct tcmu_cmd_entry_hdr *h = (void *)(shm + CMDR_OFF + off);

	h->len_op = len | op;
	h->cmd_id = cmd_id;
	h->kflags = 0;
	h->uflags = 0;
	if (op == TCMU_OP_CMD) {
		at(off)->req.iov_cnt = 1;
		at(off)->req.iov_bidi_cnt = 0;
	}
	mb()->cmd_head = (off + len) % CMDR_SIZE;
}

static void ours_at_the_tail(void **state)
{
	(void)state;
	ring(TCMU_MAILBOX_FLAG_CAP_READ_LEN);
	mb()->cmd_tail = 2 * ENTRY;
	put(2 * ENTRY, TCMU_OP_CMD, ENTRY, 7);
	assert_int_equal(bl_ring_set_read_len(shm, 7, 36, 0), 0);
	assert_int_equal(at(2 * ENTRY)->hdr.uflags, TCMU_UFLAG_READ_LEN);
	assert_int_equal(at(2 * ENTRY)->rsp.read_len, 36);
}

/* A PAD at the end of the ring: libtcmu skips it before writing the completion, so do we. */
static void ours_after_a_pad(void **state)
{
	(void)state;
	ring(TCMU_MAILBOX_FLAG_CAP_READ_LEN);
	mb()->cmd_tail = CMDR_SIZE - 64;
	put(CMDR_SIZE - 64, TCMU_OP_PAD, 64, 0);
	put(0, TCMU_OP_CMD, ENTRY, 9);
	assert_int_equal(bl_ring_set_read_len(shm, 9, 512, 0), 0);
	assert_int_equal(at(0)->rsp.read_len, 512);
	assert_true(at(0)->hdr.uflags & TCMU_UFLAG_READ_LEN);
}

/* An older command still in flight would take the tail entry if it completed first: nothing is
 * set anywhere, and the caller completes without a residual. */
static void older_command_in_flight(void **state)
{
	(void)state;
	ring(TCMU_MAILBOX_FLAG_CAP_READ_LEN);
	put(0, TCMU_OP_CMD, ENTRY, 3);
	put(ENTRY, TCMU_OP_CMD, ENTRY, 4);
	assert_int_equal(bl_ring_set_read_len(shm, 4, 36, 0), -EBUSY);
	assert_int_equal(at(0)->hdr.uflags, 0);
	assert_int_equal(at(ENTRY)->hdr.uflags, 0);
}

static void *complete_later(void *arg)
{
	const struct timespec t = {0, 20 * 1000 * 1000};

	(void)arg;
	nanosleep(&t, NULL);
	/* what libtcmu does for the older command: its completion goes in the tail entry */
	at(0)->rsp.scsi_status = 0;
	__atomic_store_n(&mb()->cmd_tail, ENTRY, __ATOMIC_RELEASE);
	return NULL;
}

/* The older command completes in a worker thread while the command thread waits. */
static void waits_for_older_commands(void **state)
{
	pthread_t t;

	(void)state;
	ring(TCMU_MAILBOX_FLAG_CAP_READ_LEN);
	put(0, TCMU_OP_CMD, ENTRY, 3);
	put(ENTRY, TCMU_OP_CMD, ENTRY, 4);
	assert_int_equal(pthread_create(&t, NULL, complete_later, NULL), 0);
	assert_int_equal(bl_ring_set_read_len(shm, 4, 100, 2000), 0);
	pthread_join(t, NULL);
	assert_int_equal(at(0)->hdr.uflags, 0);
	assert_int_equal(at(ENTRY)->rsp.read_len, 100);
}

static void kernel_without_read_len(void **state)
{
	(void)state;
	ring(TCMU_MAILBOX_FLAG_CAP_OOOC);
	put(0, TCMU_OP_CMD, ENTRY, 1);
	assert_int_equal(bl_ring_set_read_len(shm, 1, 36, 0), -ENOTSUP);
	assert_int_equal(at(0)->hdr.uflags, 0);
	assert_int_equal(bl_ring_set_read_len(NULL, 1, 36, 0), -ENOTSUP);
}

static void not_in_the_ring(void **state)
{
	(void)state;
	ring(TCMU_MAILBOX_FLAG_CAP_READ_LEN);
	assert_int_equal(bl_ring_set_read_len(shm, 1, 36, 0), -ENOENT); /* empty */
	put(0, TCMU_OP_TMR, ENTRY, 0); /* not something libtcmu completes into */
	assert_int_equal(bl_ring_set_read_len(shm, 1, 36, 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ours_at_the_tail),
		cmocka_unit_test(ours_after_a_pad),
		cmocka_unit_test(older_command_in_flight),
		cmocka_unit_test(waits_for_older_commands),
		cmocka_unit_test(kernel_without_read_len),
		cmocka_unit_test(not_in_the_ring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
