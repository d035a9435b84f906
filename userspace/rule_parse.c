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

/*
 * Split @line (modified) into words, up to a '#' outside quotes. A word that starts with
 * '"' runs to the next '"' that no backslash escapes; inside, \" is a quote and \\ a
 * backslash, as rule_words() writes them. Elsewhere a quote or a backslash is a byte like
 * any other. Returns the word count, -1 for more than @max words, or -2 with *why set.
 */
static int split_words(char *line, char **words, int max, const char **why)
{
	static const char blanks[] = " \t\r\n";
	char *in = line, *out;
	int n = 0;

	for (;;) {
		in += strspn(in, blanks);
		if (!*in || *in == '#')
			return n;
		if (n == max)
			return -1;
		if (*in != '"') {
			words[n++] = in;
			in += strcspn(in, " \t\r\n#");
			if (*in == '#')
				*in = '\0';
			else if (*in)
				*in++ = '\0';
			continue;
		}
		/* Unescaped in place: @out never passes @in. */
		words[n++] = out = ++in;
		while (*in && *in != '"') {
			if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
				in++;
			*out++ = *in++;
		}
		if (!*in) {
			*why = "a quoted word needs its closing '\"'";
			return -2;
		}
		in++;
		if (*in && !strchr(" \t\r\n#", *in)) {
			*why = "a closing '\"' must end the word";
			return -2;
		}
		*out = '\0';
	}
}

int read_rule_stream(const char *cmd, FILE *f, const char *path, struct apply_rule **rulesp,
		     size_t *countp)
{
	struct apply_rule *rules = NULL;
	size_t count = 0, cap = 0, len = 0;
	char *line = NULL, where[512], *words[32];
	const char *why = NULL;
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
		if (skl_grow(&rules, count, &cap, sizeof(*rules))) {
			skl_err("%s: out of memory", cmd);
			ret = SKL_EXIT_FAIL;
			break;
		}
		snprintf(where, sizeof(where), "%s: %s:%u", cmd, path, lineno);
		n = split_words(line, words, 32, &why);
		if (n == -1)
			skl_err("%s: too many words", where);
		else if (n < 0)
			skl_usage_error(where, "", NULL, why);
		if (n <= 0 || parse_rule(where, n, words, &rules[count].args)) {
			if (n)
				ret = SKL_EXIT_USAGE;
			continue;
		}
		/* The comment points into @line, which the next line overwrites. */
		if (rules[count].args.comment) {
			rules[count].args.comment = strdup(rules[count].args.comment);
			if (!rules[count].args.comment) {
				skl_err("%s: out of memory", cmd);
				ret = SKL_EXIT_FAIL;
				break;
			}
		}
		rules[count++].line = lineno;
	}
	if (ferror(f)) {
		/* errno is still the failed read's: nothing ran since. */
		skl_err("%s: %s: %s", cmd, path, strerror(errno));
		ret = SKL_EXIT_FAIL;
	}
	free(line);
	*rulesp = rules;
	*countp = count;
	return ret;
}

int read_rule_file(const char *cmd, const char *path, struct apply_rule **rulesp, size_t *countp)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int ret;

	if (!f) {
		skl_err("%s: %s: %s", cmd, path, strerror(errno));
		return SKL_EXIT_FAIL;
	}
	ret = read_rule_stream(cmd, f, path, rulesp, countp);
	if (f != stdin)
		fclose(f);
	return ret;
}

void free_rules(struct apply_rule *rules, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free((char *)rules[i].args.comment);
	free(rules);
}
