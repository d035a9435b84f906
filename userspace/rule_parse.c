// SPDX-License-Identifier: GPL-2.0
/* The words of add-rule, and the rule files of apply: one rule a line in those words. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "sklookup.h"
#include "addr.h"
#include "rule_parse.h"
#include "util.h"

int skl_usage_error(const char *cmd, const char *what, const char *word, const char *why)
{
	char buf[256];

	if (word)
		skl_err("%s: %s '%s': %s", cmd, what, skl_printable(word, buf, sizeof(buf)), why);
	else
		skl_err("%s: %s", cmd, why);
	return SKL_EXIT_USAGE;
}

const char *rule_label_invalid(const char *name)
{
	if (!*name || strlen(name) >= SKL_LABEL_NAME_MAX)
		return "must be 1 to 63 bytes";
	/* dump prints the rule as a line of words that apply splits and cuts at '#'. */
	if (strpbrk(name, " \t\n\v\f\r#"))
		return "must not contain white space or '#'";
	return skl_text_invalid(name);
}

#define SKL_ONE_ACTION "give one of label NAME, redirect ADDR[:PORT] or drop, once"

int parse_rule(const char *where, int argc, char **argv, struct rule_args *r)
{
	const char *why;
	int i;

	memset(r, 0, sizeof(*r));
	r->port_hi = 65535;
	r->phase = SKL_PHASE_FIRST;
	for (i = 0; i < argc; i++) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(key, "drop")) {
			if (r->action)
				return skl_usage_error(where, "", NULL,
						       SKL_ONE_ACTION);
			r->action = SKL_ACTION_DROP;
			continue;
		}
		if (!strcmp(key, "noreuseport")) {
			r->flags |= SKL_RULE_F_NOREUSEPORT;
			continue;
		}
		if (strcmp(key, "proto") && strcmp(key, "dst") && strcmp(key, "src") &&
		    strcmp(key, "port") && strcmp(key, "dev") && strcmp(key, "phase") &&
		    strcmp(key, "label") && strcmp(key, "redirect"))
			return skl_usage_error(where, "unknown keyword", key,
					       "expected proto, dst, port, src, dev, phase, label, redirect, noreuseport or drop");
		if (!val)
			return skl_usage_error(where, "missing value after", key, "give a value");
		i++;
		if (!strcmp(key, "proto")) {
			if (!strcmp(val, "tcp"))
				r->proto = IPPROTO_TCP;
			else if (!strcmp(val, "udp"))
				r->proto = IPPROTO_UDP;
			else
				return skl_usage_error(where, "proto", val, "must be tcp or udp");
		} else if (!strcmp(key, "dst")) {
			if (skl_prefix_parse(val, &r->dst, &why))
				return skl_usage_error(where, "dst", val, why);
		} else if (!strcmp(key, "src")) {
			if (skl_prefix_parse(val, &r->src, &why))
				return skl_usage_error(where, "src", val, why);
			r->has_src = 1;
		} else if (!strcmp(key, "port")) {
			if (skl_port_range_parse(val, &r->port_lo, &r->port_hi, &why))
				return skl_usage_error(where, "port", val, why);
		} else if (!strcmp(key, "dev")) {
			r->ifindex = if_nametoindex(val);
			if (!r->ifindex)
				return skl_usage_error(where, "dev", val, "no such device");
		} else if (!strcmp(key, "phase")) {
			if (!strcmp(val, "first"))
				r->phase = SKL_PHASE_FIRST;
			else if (!strcmp(val, "specific"))
				r->phase = SKL_PHASE_SPECIFIC;
			else if (!strcmp(val, "fallback"))
				r->phase = SKL_PHASE_FALLBACK;
			else
				return skl_usage_error(where, "phase", val,
						       "must be first, specific or fallback");
		} else if (!strcmp(key, "redirect")) {
			if (r->action)
				return skl_usage_error(where, "", NULL, SKL_ONE_ACTION);
			if (skl_endpoint_parse(val, &r->redirect, &why))
				return skl_usage_error(where, "redirect", val, why);
			r->action = SKL_ACTION_REDIRECT;
		} else {
			if (r->action)
				return skl_usage_error(where, "", NULL,
						       SKL_ONE_ACTION);
			why = rule_label_invalid(val);
			if (why)
				return skl_usage_error(where, "label", val, why);
			r->action = SKL_ACTION_STEER;
			r->label = val;
		}
	}
	if (!r->proto)
		return skl_usage_error(where, "", NULL, "missing proto tcp|udp");
	if (!r->dst.family)
		return skl_usage_error(where, "", NULL, "missing dst PREFIX");
	if (!r->action)
		return skl_usage_error(where, "", NULL,
				       "missing label NAME, redirect ADDR[:PORT] or drop");
	if (r->has_src && r->src.family != r->dst.family)
		return skl_usage_error(where, "src", NULL,
				       "src and dst must be of one address family");
	if (r->action == SKL_ACTION_REDIRECT && r->redirect.family != r->dst.family)
		return skl_usage_error(where, "redirect", NULL,
				       "redirect and dst must be of one address family");
	if ((r->flags & SKL_RULE_F_NOREUSEPORT) && r->action != SKL_ACTION_STEER)
		return skl_usage_error(where, "", NULL, "noreuseport goes with label NAME");
	return 0;
}

/* Split @line (modified) into words, dropping a "#" comment. Returns the word count. */
static int split_words(char *line, char **words, int max)
{
	char *hash = strchr(line, '#'), *save = NULL, *word;
	int n = 0;

	if (hash)
		*hash = '\0';
	for (word = strtok_r(line, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		words[n++] = word;
	}
	return n;
}

int read_rule_stream(FILE *f, const char *path, struct apply_rule **rulesp, size_t *countp)
{
	struct apply_rule *rules = NULL, *bigger;
	size_t count = 0, cap = 0, len = 0;
	char *line = NULL, where[512], *words[32];
	unsigned int lineno = 0;
	int n, ret = 0;

	/*
	 * A read error ends getline() like the end of the file does, and may first hand over
	 * a line cut short (glibc returns what it read before the error): stop at it and
	 * keep nothing. Otherwise a directory (fopen() opens one, read() fails with EISDIR)
	 * reads as an empty file, and apply would put no rule in force.
	 */
	while (getline(&line, &len, f) >= 0 && !ferror(f)) {
		lineno++;
		if (count == cap) {
			cap = cap ? cap * 2 : 256;
			bigger = realloc(rules, cap * sizeof(*rules));
			if (!bigger) {
				skl_err("apply: out of memory");
				ret = SKL_EXIT_FAIL;
				break;
			}
			rules = bigger;
		}
		rules[count].text = strdup(line);
		if (!rules[count].text) {
			skl_err("apply: out of memory");
			ret = SKL_EXIT_FAIL;
			break;
		}
		snprintf(where, sizeof(where), "apply: %s:%u", path, lineno);
		n = split_words(rules[count].text, words, 32);
		if (n < 0)
			skl_err("%s: too many words", where);
		if (n <= 0 || parse_rule(where, n, words, &rules[count].args)) {
			free(rules[count].text);
			if (n)
				ret = SKL_EXIT_USAGE;
			continue;
		}
		rules[count++].line = lineno;
	}
	if (ferror(f)) {
		/* errno is still the failed read's: nothing ran since. */
		skl_err("apply: %s: %s", path, strerror(errno));
		ret = SKL_EXIT_FAIL;
	}
	free(line);
	*rulesp = rules;
	*countp = count;
	return ret;
}

int read_rule_file(const char *path, struct apply_rule **rulesp, size_t *countp)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int ret;

	if (!f) {
		skl_err("apply: %s: %s", path, strerror(errno));
		return SKL_EXIT_FAIL;
	}
	ret = read_rule_stream(f, path, rulesp, countp);
	if (f != stdin)
		fclose(f);
	return ret;
}

void free_rules(struct apply_rule *rules, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(rules[i].text);
	free(rules);
}
