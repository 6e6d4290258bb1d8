/*
 * bl-iscsi-io: a small libiscsi initiator for the VM tests, where no kernel initiator runs.
 *
 *   bl-iscsi-io [-i INITIATOR_IQN] URL capacity | read LBA N | write LBA FILE | sync |
 *               unmap LBA N | zero LBA N [unmap] | load LOG SECONDS REGION_BLOCKS SEED |
 *               verify LOG BASEFILE SEED |
 *               perf read|write seq|rand QD BLOCKS START COUNT STRIDE SECONDS
 *
 * URL is iscsi://[user%secret@]host[:port]/target-iqn/lun. Blocks are the LUN's logical blocks.
 *
 * `load` writes 8-block chunks at pseudo-random places in the first REGION_BLOCKS blocks, one at
 * a time, and issues SYNCHRONIZE CACHE after every 16 writes. Before each write it appends
 * "I idx lba" to LOG and after each completed sync "S idx"; each line is fdatasync'ed. It stops
 * quietly when the target goes away (the crash tests kill tcmu-runner under it).
 * `verify` then checks the crash guarantee: every block holds either the data of the newest write
 * synced before the last completed SYNCHRONIZE CACHE (or BASEFILE's data when there was none), or
 * the data of a write issued after it; anything else — a mix, garbage, an older version — fails.
 *
 * `perf` is the benchmark load (iscsi-perf only reads, over the whole LUN): QD commands in flight
 * (libiscsi's async API), each BLOCKS blocks long, at the COUNT slots START + k*STRIDE visited in
 * order (seq) or in one fixed shuffled order (rand), cycling until SECONDS pass; SECONDS 0 means
 * one pass over the slots (e.g. one write per cluster of a fresh overlay: first writes). Prints
 * one JSON line with the ops, the seconds and the rate; exits 1 if any command failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BLOCKS 8
#define SYNC_EVERY 16

static struct iscsi_context *iscsi;
static int lun;
static uint32_t block_size = 512;
static uint64_t nblocks;

static void fail(const char *what)
{
    fprintf(stderr, "bl-iscsi-io: %s: %s\n", what, iscsi ? iscsi_get_error(iscsi) : "");
    exit(1);
}

static struct scsi_task *checked(struct scsi_task *t, const char *what)
{
    if (!t)
        fail(what);
    if (t->status != SCSI_STATUS_GOOD) {
        fprintf(stderr, "bl-iscsi-io: %s: SCSI status 0x%x, sense key 0x%x asc/ascq 0x%04x (%s)\n",
                what, t->status, t->sense.key, t->sense.ascq, iscsi_get_error(iscsi));
        exit(1);
    }
    return t;
}

static void connect_url(const char *initiator, const char *url)
{
    iscsi = iscsi_create_context(initiator);
    if (!iscsi)
        fail("cannot create an iSCSI context");
    struct iscsi_url *u = iscsi_parse_full_url(iscsi, url);
    if (!u)
        fail(url);
    iscsi_set_targetname(iscsi, u->target);
    iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
    iscsi_set_header_digest(iscsi, ISCSI_HEADER_DIGEST_NONE_CRC32C);
    if (u->user[0])
        iscsi_set_initiator_username_pwd(iscsi, u->user, u->passwd);
    if (iscsi_full_connect_sync(iscsi, u->portal, u->lun) != 0)
        fail("login");
    lun = u->lun;
    iscsi_destroy_url(u);
    struct scsi_task *t = checked(iscsi_readcapacity16_sync(iscsi, lun), "READ CAPACITY(16)");
    struct scsi_readcapacity16 *rc = scsi_datain_unmarshall(t);
    if (!rc)
        fail("READ CAPACITY(16) answer");
    block_size = rc->block_length;
    nblocks = rc->returned_lba + 1;
    scsi_free_scsi_task(t);
}

static void write_blocks(uint64_t lba, unsigned char *buf, uint32_t n)
{
    scsi_free_scsi_task(checked(iscsi_write16_sync(iscsi, lun, lba, buf, n * block_size, block_size,
                                                   0, 0, 0, 0, 0), "WRITE(16)"));
}

static void sync_cache(void)
{
    scsi_free_scsi_task(checked(iscsi_synchronizecache10_sync(iscsi, lun, 0, 0, 0, 0),
                                "SYNCHRONIZE CACHE(10)"));
}

/* The content of block `b` of write `idx`: reproducible from (seed, idx, lba). */
static void fill_pattern(unsigned char *p, uint32_t seed, uint64_t idx, uint64_t lba)
{
    uint64_t x = (seed * 0x9E3779B97F4A7C15ull) ^ (idx << 20) ^ lba ^ 0xD1B54A32D192ED03ull;
    memcpy(p, &idx, 8);
    memcpy(p + 8, &lba, 8);
    for (uint32_t i = 16; i + 8 <= block_size; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(p + i, &x, 8);
    }
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void log_line(int fd, char kind, uint64_t idx, uint64_t lba)
{
    char line[64];
    int n = snprintf(line, sizeof line, "%c %" PRIu64 " %" PRIu64 "\n", kind, idx, lba);
    if (write(fd, line, n) != n || fdatasync(fd) != 0) {
        perror("bl-iscsi-io: log");
        exit(1);
    }
}

static int cmd_load(const char *log, int seconds, uint64_t region, uint32_t seed)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(log);
        return 1;
    }
    if (region > nblocks)
        region = nblocks;
    unsigned char *buf = malloc((size_t)CHUNK_BLOCKS * block_size);
    uint64_t s = seed | 1, idx = 0;
    time_t end = time(NULL) + seconds;
    while (time(NULL) < end) {
        uint64_t lba = rnd(&s) % (region / CHUNK_BLOCKS) * CHUNK_BLOCKS;
        for (int b = 0; b < CHUNK_BLOCKS; b++)
            fill_pattern(buf + (size_t)b * block_size, seed, idx, lba + b);
        log_line(fd, 'I', idx, lba);
        struct scsi_task *t = iscsi_write16_sync(iscsi, lun, lba, buf, CHUNK_BLOCKS * block_size,
                                                 block_size, 0, 0, 0, 0, 0);
        if (!t || t->status != SCSI_STATUS_GOOD)
            break;
        scsi_free_scsi_task(t);
        if (++idx % SYNC_EVERY == 0) {
            t = iscsi_synchronizecache10_sync(iscsi, lun, 0, 0, 0, 0);
            if (!t || t->status != SCSI_STATUS_GOOD)
                break;
            scsi_free_scsi_task(t);
            log_line(fd, 'S', idx - 1, 0);
        }
    }
    printf("load: %" PRIu64 " writes issued\n", idx);
    close(fd);
    free(buf);
    return 0;
}

struct wr {
    uint64_t idx, lba;
};

static int cmd_verify(const char *log, const char *basefile, uint32_t seed)
{
    FILE *f = fopen(log, "r");
    int base = open(basefile, O_RDONLY);
    if (!f || base < 0) {
        perror("bl-iscsi-io: verify");
        return 1;
    }
    struct wr *w = NULL;
    size_t n = 0, cap = 0;
    int64_t synced = -1;
    char kind;
    uint64_t a, b;
    while (fscanf(f, " %c %" SCNu64 " %" SCNu64, &kind, &a, &b) == 3) {
        if (kind == 'S') {
            synced = (int64_t)a;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            w = realloc(w, cap * sizeof *w);
        }
        w[n++] = (struct wr){a, b};
    }
    fclose(f);
    uint64_t region = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i].lba + CHUNK_BLOCKS > region)
            region = w[i].lba + CHUNK_BLOCKS;
    unsigned char *got = malloc(block_size), *want = malloc(block_size);
    uint64_t checked_blocks = 0, bad = 0;
    for (uint64_t lba = 0; lba < region; lba++) {
        struct scsi_task *t = checked(iscsi_read16_sync(iscsi, lun, lba, block_size, block_size,
                                                        0, 0, 0, 0, 0), "READ(16)");
        memcpy(got, t->datain.data, block_size);
        scsi_free_scsi_task(t);
        /* Candidates: the newest synced write (or the base), and every later one. */
        bool match = false, have_synced = false;
        for (size_t i = n; i-- > 0 && !match;) {
            if (lba < w[i].lba || lba >= w[i].lba + CHUNK_BLOCKS)
                continue;
            if ((int64_t)w[i].idx <= synced) {
                if (have_synced)
                    continue;
                have_synced = true;
            }
            fill_pattern(want, seed, w[i].idx, lba);
            match = memcmp(got, want, block_size) == 0;
        }
        if (!match && !have_synced) {
            if (pread(base, want, block_size, (off_t)(lba * block_size)) != (ssize_t)block_size)
                memset(want, 0, block_size);
            match = memcmp(got, want, block_size) == 0;
        }
        checked_blocks++;
        if (!match && bad++ < 10)
            fprintf(stderr, "verify: block %" PRIu64 " holds data it was never given (synced through write %" PRId64 ")\n",
                    lba, synced);
    }
    printf("verify: %zu writes logged, synced through %" PRId64 ", %" PRIu64 " blocks checked, %" PRIu64 " bad\n",
           n, synced, checked_blocks, bad);
    free(got);
    free(want);
    free(w);
    close(base);
    return bad ? 1 : 0;
}

struct perf {
    uint64_t *slots;
    size_t count, next;
    bool write, one_pass, stop;
    uint32_t blocks;
    unsigned char *buf;
    int inflight;
    uint64_t done, errors;
};

static void perf_done(struct iscsi_context *ctx, int status, void *task, void *priv)
{
    struct perf *p = priv;

    (void)ctx;
    p->inflight--;
    if (status == SCSI_STATUS_GOOD)
        p->done++;
    else if (p->errors++ == 0)
        fprintf(stderr, "bl-iscsi-io: perf: a command failed: %s\n", iscsi_get_error(iscsi));
    scsi_free_scsi_task(task);
}

static void perf_issue(struct perf *p)
{
    if (p->next == p->count) {
        if (p->one_pass) {
            p->stop = true;
            return;
        }
        p->next = 0;
    }
    uint64_t lba = p->slots[p->next++];
    uint32_t len = p->blocks * block_size;
    struct scsi_task *t = p->write
        ? iscsi_write16_task(iscsi, lun, lba, p->buf, len, block_size, 0, 0, 0, 0, 0, perf_done, p)
        : iscsi_read16_task(iscsi, lun, lba, len, block_size, 0, 0, 0, 0, 0, perf_done, p);
    if (!t)
        fail("perf: cannot queue a command");
    p->inflight++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_perf(char **arg)
{
    struct perf p = {.write = !strcmp(arg[0], "write")};
    int qd = atoi(arg[2]), seconds = atoi(arg[7]);
    uint64_t start = strtoull(arg[4], NULL, 0), stride = strtoull(arg[6], NULL, 0);

    p.blocks = (uint32_t)strtoul(arg[3], NULL, 0);
    p.count = strtoull(arg[5], NULL, 0);
    p.one_pass = seconds == 0;
    if (qd < 1 || !p.blocks || !p.count || start + (p.count - 1) * stride + p.blocks > nblocks) {
        fprintf(stderr, "bl-iscsi-io: perf: the slots do not fit the LUN (%" PRIu64 " blocks)\n", nblocks);
        return 2;
    }
    p.slots = malloc(p.count * sizeof *p.slots);
    p.buf = malloc((size_t)p.blocks * block_size);
    for (size_t k = 0; k < p.count; k++)
        p.slots[k] = start + k * stride;
    uint64_t s = 0x2545F4914F6CDD1Dull;
    if (!strcmp(arg[1], "rand"))
        for (size_t k = p.count - 1; k > 0; k--) {
            size_t j = rnd(&s) % (k + 1);
            uint64_t x = p.slots[k];
            p.slots[k] = p.slots[j];
            p.slots[j] = x;
        }
    for (size_t i = 0; i < (size_t)p.blocks * block_size; i++)
        p.buf[i] = (unsigned char)(rnd(&s) | 1); /* never all zeros: no shortcut for anyone */
    double t0 = now_s(), end = t0 + seconds;
    while (!p.stop || p.inflight) {
        while (!p.stop && p.inflight < qd)
            perf_issue(&p);
        struct pollfd pfd = {iscsi_get_fd(iscsi), (short)iscsi_which_events(iscsi), 0};
        if (poll(&pfd, 1, 1000) < 0 || iscsi_service(iscsi, pfd.revents) < 0)
            fail("perf: connection");
        if (!p.one_pass && now_s() >= end)
            p.stop = true;
    }
    double secs = now_s() - t0;
    printf("{\"op\":\"%s\",\"order\":\"%s\",\"qd\":%d,\"bytes\":%u,\"ops\":%" PRIu64
           ",\"errors\":%" PRIu64 ",\"seconds\":%.3f,\"iops\":%.0f}\n", arg[0], arg[1], qd,
           p.blocks * block_size, p.done, p.errors, secs, p.done / secs);
    free(p.slots);
    free(p.buf);
    return p.errors ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bl-iscsi-io [-i INITIATOR_IQN] URL capacity|read LBA N|write LBA FILE|sync|"
                    "unmap LBA N|zero LBA N [unmap]|load LOG SECONDS REGION SEED|verify LOG BASE SEED|\n"
                    "       perf read|write seq|rand QD BLOCKS START COUNT STRIDE SECONDS\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *initiator = "iqn.2026-11.org.bootlink:test-initiator";
    int opt;
    while ((opt = getopt(argc, argv, "i:")) != -1) {
        if (opt != 'i')
            return usage();
        initiator = optarg;
    }
    if (argc - optind < 2)
        return usage();
    const char *url = argv[optind], *cmd = argv[optind + 1];
    char **arg = argv + optind + 2;
    int nargs = argc - optind - 2;
    connect_url(initiator, url);

    if (!strcmp(cmd, "capacity")) {
        printf("%" PRIu64 " %u\n", nblocks, block_size);
    } else if (!strcmp(cmd, "read") && nargs == 2) {
        uint64_t lba = strtoull(arg[0], NULL, 0), n = strtoull(arg[1], NULL, 0);
        while (n) {
            uint32_t k = n > 128 ? 128 : (uint32_t)n;
            struct scsi_task *t = checked(iscsi_read16_sync(iscsi, lun, lba, k * block_size, block_size,
                                                            0, 0, 0, 0, 0), "READ(16)");
            fwrite(t->datain.data, 1, t->datain.size, stdout);
            scsi_free_scsi_task(t);
            lba += k;
            n -= k;
        }
    } else if (!strcmp(cmd, "write") && nargs == 2) {
        uint64_t lba = strtoull(arg[0], NULL, 0);
        FILE *in = strcmp(arg[1], "-") ? fopen(arg[1], "rb") : stdin;
        if (!in) {
            perror(arg[1]);
            return 1;
        }
        unsigned char *buf = malloc(128 * (size_t)block_size);
        size_t got;
        while ((got = fread(buf, 1, 128 * (size_t)block_size, in)) > 0) {
            if (got % block_size) {
                fprintf(stderr, "bl-iscsi-io: %s: size is not a multiple of %u\n", arg[1], block_size);
                return 1;
            }
            write_blocks(lba, buf, (uint32_t)(got / block_size));
            lba += got / block_size;
        }
        free(buf);
    } else if (!strcmp(cmd, "sync")) {
        sync_cache();
    } else if (!strcmp(cmd, "unmap") && nargs == 2) {
        struct unmap_list l = {strtoull(arg[0], NULL, 0), (uint32_t)strtoul(arg[1], NULL, 0)};
        scsi_free_scsi_task(checked(iscsi_unmap_sync(iscsi, lun, 0, 0, &l, 1), "UNMAP"));
    } else if (!strcmp(cmd, "zero") && nargs >= 2) {
        unsigned char *z = calloc(1, block_size);
        int unmap = nargs > 2 && !strcmp(arg[2], "unmap");
        scsi_free_scsi_task(checked(iscsi_writesame16_sync(iscsi, lun, strtoull(arg[0], NULL, 0), z, block_size,
                                                           (uint32_t)strtoul(arg[1], NULL, 0), 0, unmap, 0, 0),
                                    "WRITE SAME(16)"));
        free(z);
    } else if (!strcmp(cmd, "load") && nargs == 4) {
        return cmd_load(arg[0], atoi(arg[1]), strtoull(arg[2], NULL, 0), (uint32_t)strtoul(arg[3], NULL, 0));
    } else if (!strcmp(cmd, "verify") && nargs == 3) {
        return cmd_verify(arg[0], arg[1], (uint32_t)strtoul(arg[2], NULL, 0));
    } else if (!strcmp(cmd, "perf") && nargs == 8) {
        return cmd_perf(arg);
    } else {
        return usage();
    }
    iscsi_logout_sync(iscsi);
    iscsi_destroy_context(iscsi);
    return 0;
}
