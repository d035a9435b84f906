// SPDX-License-Identifier: GPL-2.0
/*
 * sklookupctl version: this program's version and the loaded module's, which the module
 * shows in /sys/module/sklookup/version (MODULE_VERSION): no netlink, no privilege, and
 * the same answer in every namespace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "output.h"
#include "util.h"

#define SKL_SYSFS_VERSION "/sys/module/sklookup/version"

/* The loaded module's version in @buf, or -1 with errno set (ENOENT: not loaded). */
static int module_version(char *buf, size_t len)
{
	FILE *f = fopen(SKL_SYSFS_VERSION, "re");
	size_t n;

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	n = strcspn(buf, "\n");
	buf[n] = '\0';
	return 0;
}

int version_main(int argc, char **argv)
{
	char module[64];
	int err = 0;

	if (argc > 0) {
		skl_err("version: unexpected argument '%s'", argv[0]);
		return SKL_EXIT_USAGE;
	}
	if (module_version(module, sizeof(module)) < 0)
		err = errno;
	out_open_object(NULL);
	out_str("sklookupctl", "sklookupctl %s\n", SKL_VERSION);
	out_bool("module_loaded", "", !err);
	if (!err)
		out_str("module", "module %s\n", module);
	else if (err == ENOENT)
		out_text("module not loaded\n");
	out_close_object();
	out_finish();
	if (err && err != ENOENT) {
		skl_err("version: %s: %s", SKL_SYSFS_VERSION, strerror(err));
		return SKL_EXIT_FAIL;
	}
	if (!err && strcmp(module, SKL_VERSION))
		skl_err("warning: sklookupctl %s and the loaded module %s differ: install both from one release, then reload the module",
			SKL_VERSION, module);
	return 0;
}
