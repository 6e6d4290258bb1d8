/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-engine: the COW engine against plain pread/pwrite on the same files, in
 * the same process, rounds of engine and baseline interleaved. The baseline
 * reads and writes the overlay file itself at the offsets the engine uses (and
 * the base file for unwritten reads), so the ratio is what the engine adds, not
 * a difference between files (on ext4 a sparse file written in place reads ~10%
 * slower than one written by appending, whoever writes it).
 *
 *   build/tests/bench/bench-engine [--seconds N] [--size MiB] [--dir DIR] [--cluster KiB]
 *
 * Prints one JSON line per case: ops/s for the engine and the plain calls, their
 * ratio, and cpu_ratio, the same ratio per CPU-second (steadier when the machine
 * is busy with other work). Cases: {rand4k, seq64k} x {1, 4 threads} x
 *   unwritten-read  engine reads clusters served by the base / pread on the base
 *   overlay-read    engine reads clusters held by the overlay / pread there
 *   first-write     writes to clusters not yet in the overlay (copy-up) / pwrite
 *                   into the same holes of the overlay file
 *   rewrite         writes to clusters the overlay holds / pwrite there
 * Everything runs through the page cache without flushes: this measures what the
 * engine adds per operation, not the disk. --seconds is the time per case.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/vfs.h>

#include "blcow.h"

enum kind { UNWRITTEN_READ, OVERLAY_READ, FIRST_WRITE, REWRITE };
static const char *kind_name[] = { "unwritten-read", "overlay-read", "first-write", "rewrite" };

struct bench {
	uint64_t size;
	uint32_t cluster;
	int base_fd;
	int fresh_fd, full_fd;           /* the overlay files themselves, for the baseline */
	uint64_t fresh_off, full_off;    /* their data offsets */
	struct blc_chain *fresh, *full;  /* empty overlay; fully copied-up overlay */
	char fresh_path[600];
};

struct job {
	struct bench *b;
	enum kind kind;
	size_t io;               /* 4096 or 65536 */
	bool random, engine;
	int id, threads;
	double deadline;
	atomic_uint_fast64_t *next_cluster;   /* first writes: each op a new cluster */
	uint64_t ops;
	int err;
};

static double clock_of(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_of(CLOCK_MONOTONIC);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench-engine: %s: %s\n", what, msg);
	exit(1);
}

static void *run(void *arg)
{
	struct job *j = arg;
	struct bench *b = j->b;
	uint8_t *buf = aligned_alloc(4096, j->io);
	uint64_t s = 88172645463325252ull ^ ((uint64_t)j->id << 32) ^ (uint64_t)(now() * 1e6);
	uint64_t seq = (b->size / j->threads) * (uint64_t)j->id;
	uint64_t slots = b->size / j->io;

	memset(buf, 0x5a, j->io);
	while (j->err == 0) {
		for (int k = 0; k < 64; k++) {
			uint64_t off;
			if (j->kind == FIRST_WRITE) {
				uint64_t step = j->io > b->cluster ? j->io / b->cluster : 1;
				uint64_t cl = atomic_fetch_add(j->next_cluster, step);
				if (cl + step > b->size / b->cluster)
					return free(buf), NULL;    /* caller resets and goes on */
				s ^= s << 13; s ^= s >> 7; s ^= s << 17;
				off = cl * b->cluster + (j->random && b->cluster > j->io ? (s % (b->cluster / j->io)) * j->io : 0);
			} else if (j->random) {
				s ^= s << 13; s ^= s >> 7; s ^= s << 17;
				off = (s % slots) * j->io;
			} else {
				off = seq;
				seq = (seq + j->io) % (slots * j->io);
			}
			struct iovec v = { buf, j->io };
			bool wr = j->kind == FIRST_WRITE || j->kind == REWRITE;
			int r;
			if (j->engine) {
				struct blc_chain *c = j->kind == UNWRITTEN_READ || j->kind == FIRST_WRITE
						      ? b->fresh : b->full;
				r = wr ? blc_writev(c, &v, 1, off) : blc_readv(c, &v, 1, off, 0);
			} else {
				int fd = j->kind == UNWRITTEN_READ ? b->base_fd
					 : j->kind == FIRST_WRITE ? b->fresh_fd : b->full_fd;
				uint64_t at = off + (j->kind == UNWRITTEN_READ ? 0
						     : j->kind == FIRST_WRITE ? b->fresh_off : b->full_off);
				ssize_t n = wr ? pwrite(fd, buf, j->io, (off_t)at)
					       : pread(fd, buf, j->io, (off_t)at);
				r = n == (ssize_t)j->io ? 0 : -EIO;
			}
			if (r < 0)
				j->err = r;
			j->ops++;
		}
		if (now() > j->deadline)
			break;
	}
	free(buf);
	return NULL;
}

/* First writes go to clusters never written: an emptied overlay for the engine,
 * the same file's data area punched back to holes for the baseline (a first write
 * to a sparse file allocates there too). Not timed. */
static void start_fresh(struct bench *b, bool engine)
{
	if (engine && blc_reset(b->fresh) < 0)
		die(b->fresh_path, "reset failed");
	if (!engine && fallocate(b->fresh_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 (off_t)b->fresh_off, (off_t)b->size) < 0)
		die(b->fresh_path, strerror(errno));
}

/* One timed round: ops/s of wall time, and *cpu_rate ops per second of process
 * CPU time (steadier on a machine shared with other work). First writes reset the
 * overlay whenever every cluster has been written (the reset is not timed). */
static double round_of(struct bench *b, enum kind kind, size_t io, bool random, int threads,
		       bool engine, double seconds, double *cpu_rate)
{
	double cpu = 0;
	pthread_t t[16];
	struct job j[16];
	uint64_t ops = 0;
	double spent = 0;
	atomic_uint_fast64_t next = 0;

	if (kind == FIRST_WRITE)
		start_fresh(b, engine);

	while (spent < seconds) {
		double t0 = now(), c0 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
		for (int i = 0; i < threads; i++) {
			j[i] = (struct job){ b, kind, io, random, engine, i, threads, t0 + seconds - spent,
					     &next, 0, 0 };
			pthread_create(&t[i], NULL, run, &j[i]);
		}
		for (int i = 0; i < threads; i++) {
			pthread_join(t[i], NULL);
			if (j[i].err)
				die("I/O", strerror(-j[i].err));
			ops += j[i].ops;
		}
		spent += now() - t0;
		cpu += clock_of(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (kind == FIRST_WRITE && atomic_load(&next) >= b->size / b->cluster) {
			start_fresh(b, engine);
			atomic_store(&next, 0);
		}
	}
	*cpu_rate = ops / cpu;
	return ops / spent;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path, strerror(errno));
	return fd;
}

static void fill(int fd, uint64_t size)
{
	static uint8_t chunk[1 << 20];
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 131 + 7);
	for (uint64_t off = 0; off < size; off += sizeof(chunk))
		if (pwrite(fd, chunk, sizeof(chunk), (off_t)off) != (ssize_t)sizeof(chunk))
			die("fill", strerror(errno));
	/* clean pages for both sides: no writeback of the setup during the rounds */
	if (fsync(fd) < 0)
		die("fill", strerror(errno));
}

static struct blc_chain *overlay(const char *dir, const char *name, bool populate,
				 struct bench *b, char *path_out)
{
	char path[600], base[600], err[1024];
	struct blc_chain *c;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(base, sizeof(base), "%s/base.img", dir);
	unlink(path);
	if (blc_create(path, base, &(struct blc_create_opts){ b->cluster, 512 }, err, sizeof(err)) < 0 ||
	    blc_open(path, NULL, &c, err, sizeof(err)) < 0)
		die(path, err);
	if (path_out)
		strcpy(path_out, path);
	if (populate) {
		static uint8_t chunk[1 << 20];
		memset(chunk, 0x33, sizeof(chunk));
		struct iovec v = { chunk, sizeof(chunk) };
		for (uint64_t off = 0; off < b->size; off += sizeof(chunk))
			if (blc_writev(c, &v, 1, off) < 0)
				die(path, "populate failed");
		blc_flush(c);
	}
	return c;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "seconds", required_argument, NULL, 's' },
					    { "size", required_argument, NULL, 'm' },
					    { "dir", required_argument, NULL, 'd' },
					    { "cluster", required_argument, NULL, 'c' },
					    { 0, 0, 0, 0 } };
	double seconds = 4;
	uint64_t mib = 256;
	const char *dir = "/var/tmp";
	char path[600], work[512];
	struct bench b = { 0 };
	struct statfs sf;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 's')
			seconds = atof(optarg);
		else if (ch == 'm')
			mib = strtoull(optarg, NULL, 10);
		else if (ch == 'd')
			dir = optarg;
		else if (ch == 'c')
			b.cluster = (uint32_t)strtoul(optarg, NULL, 10) << 10;
		else
			return fprintf(stderr, "usage: bench-engine [--seconds N] [--size MiB] [--dir DIR] [--cluster KiB]\n"), 2;
	}
	snprintf(work, sizeof(work), "%s/bench-engine-XXXXXX", dir);
	if (!mkdtemp(work))
		die(work, strerror(errno));
	b.size = mib << 20;
	if (!b.cluster)
		b.cluster = BLC_DEFAULT_CLUSTER;
	snprintf(path, sizeof(path), "%s/base.img", work);
	b.base_fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
	fill(b.base_fd, b.size);
	b.fresh = overlay(work, "fresh.ovl", false, &b, b.fresh_path);
	b.full = overlay(work, "full.ovl", true, &b, path);
	b.fresh_fd = open_or_die(b.fresh_path, O_RDWR);
	b.full_fd = open_or_die(path, O_RDWR);
	/* the data area is the file's tail: size rounded up to clusters */
	b.fresh_off = (uint64_t)lseek(b.fresh_fd, 0, SEEK_END) - b.size;
	b.full_off = (uint64_t)lseek(b.full_fd, 0, SEEK_END) - b.size;
	const char *fs = statfs(work, &sf) == 0 && sf.f_type == 0x01021994 ? "tmpfs" : "disk";

	const int rounds = 4;
	for (int k = 0; k < 4; k++) {
		for (int p = 0; p < 2; p++) {
			for (int th = 1; th <= 4; th += 3) {
				double e = 0, pl = 0, ec = 0, pc = 0, x;
				size_t io = p ? 65536 : 4096;
				for (int r = 0; r < rounds; r++) {
					e += round_of(&b, (enum kind)k, io, !p, th, true, seconds / (2 * rounds), &x);
					ec += x;
					pl += round_of(&b, (enum kind)k, io, !p, th, false, seconds / (2 * rounds), &x);
					pc += x;
				}
				printf("{\"case\":\"%s\",\"pattern\":\"%s\",\"threads\":%d,\"fs\":\"%s\","
				       "\"size_mib\":%llu,\"cluster_kib\":%u,\"engine_ops\":%.0f,\"plain_ops\":%.0f,"
				       "\"ratio\":%.3f,\"cpu_ratio\":%.3f}\n", kind_name[k],
				       p ? "seq64k" : "rand4k", th, fs, (unsigned long long)mib, b.cluster >> 10, e / rounds,
				       pl / rounds, e / pl, ec / pc);
				fflush(stdout);
			}
		}
	}
	blc_close(b.fresh);
	blc_close(b.full);
	close(b.base_fd);
	close(b.fresh_fd);
	close(b.full_fd);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	return system(cmd) == 0 ? 0 : 1;
}
