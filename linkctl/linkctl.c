/* linkctl: the administrator's command line for bootlink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootlink-config.h"
#include "cli.h"

static const struct {
	const char *name;
	int (*run)(struct cli *, int, char **);
	const char *usage, *help;
} top_commands[] = {
	{ "status", cmd_status, "", "clients: online, image, version, I/O, overlay use" },
	{ "doctor", cmd_doctor, "", "check each cause of a failed boot, say how to fix it" },
	{ "backup", cmd_backup, "DIR [--overlays]", "back up database, images, layers, config" },
	{ "restore", cmd_restore, "DIR [--force]", "restore a backup after verifying it" },
	{ "boot-options", cmd_boot_options, "", "DHCP option 66/67 values for other DHCP servers" },
	{ "events", cmd_events, "[--limit N]", "recent changes" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: linkctl [--config FILE] [--db FILE] [--json] COMMAND [ARGS]\n\n"
		"Global options (anywhere on the line):\n"
		"  --config FILE  linkmgr configuration (default %s)\n"
		"  --db FILE      database (default: db in the configuration)\n"
		"  --json         machine-readable output\n\n"
		"Commands (each takes --help):\n", BL_CONFIG_DEFAULT_PATH);
	for (const struct command *c = image_commands; c->name; c++)
		fprintf(f, "  image %-9s %-27s %s\n", c->name, c->usage, c->help);
	for (const struct command *c = client_commands; c->name; c++)
		fprintf(f, "  client %-8s %-27s %s\n", c->name, c->usage, c->help);
	for (size_t i = 0; i < sizeof(top_commands) / sizeof(top_commands[0]); i++)
		fprintf(f, "  %-15s %-27s %s\n", top_commands[i].name, top_commands[i].usage,
			top_commands[i].help);
	fprintf(f, "\nExit status: 0 ok, 1 failed, 2 usage error. See linkctl(8).\n");
}

static int group(struct cli *cli, const char *gname, const struct command *table, int argc,
		 char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		FILE *f = argc < 1 ? stderr : stdout;
		fprintf(f, "usage: linkctl %s SUBCOMMAND [ARGS]\n", gname);
		for (const struct command *c = table; c->name; c++)
			fprintf(f, "  %s %-9s %-28s %s\n", gname, c->name, c->usage, c->help);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (const struct command *c = table; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			return c->run(cli, argc, argv);
	fprintf(stderr, "linkctl: unknown command '%s %.64s' (see linkctl %s --help)\n", gname,
		argv[0], gname);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	int n = 0, r;

	if (!rest)
		return EXIT_FAILED;
	/* global options may appear anywhere; pull them out before dispatch */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			while (i < argc)
				rest[n++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--json")) {
			cli.json = true;
		} else if (!strcmp(a, "--config") || !strcmp(a, "--db")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "linkctl: %s needs a FILE\n", a);
				free(rest);
				return EXIT_USAGE;
			}
			*(a[2] == 'c' ? &cli.config_path : &cli.db_path) = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			cli.config_path = a + 9;
		} else if (!strncmp(a, "--db=", 5)) {
			cli.db_path = a + 5;
		} else if (!strcmp(a, "--version")) {
			printf("linkctl %s\n", BOOTLINK_VERSION);
			free(rest);
			return EXIT_OK;
		} else {
			rest[n++] = argv[i];
		}
	}
	if (n == 0 || !strcmp(rest[0], "--help") || !strcmp(rest[0], "-h") ||
	    !strcmp(rest[0], "help")) {
		usage(n == 0 ? stderr : stdout);
		free(rest);
		return n == 0 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(rest[0], "image")) {
		r = group(&cli, "image", image_commands, n - 1, rest + 1);
	} else if (!strcmp(rest[0], "client")) {
		r = group(&cli, "client", client_commands, n - 1, rest + 1);
	} else {
		bool known = false;
		for (size_t i = 0; i < sizeof(top_commands) / sizeof(top_commands[0]); i++)
			if (!strcmp(top_commands[i].name, rest[0])) {
				known = true;
				r = top_commands[i].run(&cli, n, rest);
			}
		if (!known) {
			fprintf(stderr, "linkctl: unknown command '%.64s' (see linkctl --help)\n",
				rest[0]);
			r = EXIT_USAGE;
		}
	}
	bl_db_close(cli.db);
	if (cli.cfg_loaded)
		bl_config_free(&cli.cfg);
	jv_free(cli.status);
	free(rest);
	return exit_code(r);
}
