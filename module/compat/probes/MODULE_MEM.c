// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: a module's memory as an array of regions by type (upstream 6.4), where its
 * text is mem[MOD_TEXT]; before, core_layout's base and text_size.
 */
#include <linux/module.h>

static unsigned long probe_text_end(const struct module *mod)
{
	return (unsigned long)mod->mem[MOD_TEXT].base + mod->mem[MOD_TEXT].size;
}

unsigned long (*probe_fn)(const struct module *mod) = probe_text_end;
