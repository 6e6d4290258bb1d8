/* linkctl internals: the context every subcommand gets and the helpers they share. */
#ifndef BL_LINKCTL_CLI_H
#define BL_LINKCTL_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "json-read.h"
#include "json.h"
#include "names.h"
#include "ops.h"

/* Exit codes, and the one place they come from (exit_code). Commands return one of them;
 * ARGS_OK is parse_args' "go on", outside both the exit codes and -errno. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, ARGS_OK = 256 };
/* A command's result as the process's exit status: negative errno -> EXIT_FAILED. */
static inline int exit_code(int r)
{
	return r < 0 ? EXIT_FAILED : r == EXIT_OK || r == EXIT_USAGE ? r : EXIT_FAILED;
}

struct cli {
	const char *config_path;	/* --config, NULL = default */
	const char *db_path;		/* --db, NULL = from config */
	bool json;			/* --json */
	struct bl_config cfg;
	bool cfg_loaded;
	struct bl_db *db;
	struct jv *status;		/* linkmgr's status reply, fetched once */
	bool status_tried;
	struct bl_ops ops;		/* the operations library, ready after cli_db() */
};

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);	/* argv[0] = subcommand name */
	const char *usage;	/* "MAC --image NAME [--name HOST] ..." */
	const char *help;	/* one-line description */
};

/* Subcommand groups (each file exports its table). */
extern const struct command image_commands[];
extern const struct command client_commands[];
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_doctor(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_boot_options(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv);

/* Reports an error (stderr, and {"ok":false,...} on stdout with --json); returns EXIT_FAILED. */
int fail(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same for a libbllink failure: prints bl_last_error(). */
int fail_last(struct cli *cli);
/* Usage error for a subcommand; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses a subcommand's options (getopt_long table opts, each passed to on_opt; --help is
 * added) and checks that nargs positionals remain (-1: any number). Returns ARGS_OK with
 * *first = the first positional, or the exit code to return: EXIT_OK after --help, EXIT_USAGE
 * after a usage error (printed). */
struct option;
int parse_args(int argc, char **argv, const char *cmd, const char *usage, const char *help,
	       const struct option *opts, int (*on_opt)(int c, const char *arg, void *ctx),
	       void *ctx, int nargs, int *first);

int cli_config(struct cli *cli);	/* loads the configuration once */
int cli_db(struct cli *cli);		/* opens (creating) the database once */

/* MAC argument in any spelling -> normalized; prints the error. */
int arg_mac(struct cli *cli, const char *in, char out[18]);

/* After an operation (cli->ops.what says what it did, and it logged that): asks linkmgr to
 * reconcile and says what happened. With --json prints {"ok":true,"change":what,
 * "applied":bool,...extra} where extra (may be NULL) is a function adding members. */
int report_change(struct cli *cli, void (*extra)(struct bl_json *j, void *ctx), void *ctx);

/* linkmgr's status reply (NULL if linkmgr is not reachable; reason in *why if non-NULL). */
const struct jv *linkmgr_status(struct cli *cli, const char **why);
/* The entry for mac in linkmgr's status ("clients":[{"mac":...}]), NULL if unknown. */
const struct jv *linkmgr_client(struct cli *cli, const char *mac);
/* 1 online, 0 offline, -1 unknown (linkmgr not running). */
int client_online(struct cli *cli, const char *mac);

/* Prints a JSON document from the writer and frees it; returns EXIT_OK or EXIT_FAILED. */
int print_json(struct cli *cli, struct bl_json *j);

/* The overlay file of a client (file backend: <overlay_dir>/<mac12>.ovl). */
void overlay_path(struct cli *cli, const char *mac, char *out, size_t len);
/* Bytes a client's disk occupies, -1 if it has none. */
int64_t disk_bytes(struct cli *cli, const char *mac);
#define human_bytes bl_human_bytes

#endif
