/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sklookup: programmable socket lookup, the generic netlink API.
 *
 * The family is named "sklookup" (SKL_GENL_NAME), version SKL_GENL_VERSION. Every request
 * acts on the caller's network namespace. Each attribute carries one field; unknown
 * attributes are refused, and every refusal comes back with an extended ack whose message
 * names the offending attribute.
 *
 * Commands
 *
 * SKL_CMD_STATUS_GET (do)
 *	Request: no attributes.
 *	Reply: SKL_A_STATUS_VERSION (string), then one nested SKL_A_STATUS_HOOK per hooked
 *	kernel function, each holding SKL_A_HOOK_NAME (string, the kernel function),
 *	SKL_A_HOOK_PROTO (u8, IPPROTO_TCP or IPPROTO_UDP), SKL_A_HOOK_FAMILY (u8, AF_INET or
 *	AF_INET6), SKL_A_HOOK_ACTIVE (u8, 1 when the hook is installed) and SKL_A_HOOK_CALLS
 *	(u64, lookups seen since the module was loaded, in all namespaces); then the live
 *	objects of all namespaces: SKL_A_STATUS_NAMESPACES (namespaces holding rules or
 *	labels), SKL_A_STATUS_RULES, SKL_A_STATUS_LABELS, SKL_A_STATUS_SOCKETS,
 *	SKL_A_STATUS_STAGED (rules sent into staged sets that are not committed yet); and
 *	the per-namespace limits SKL_A_STATUS_MAX_RULES and SKL_A_STATUS_MAX_SOCKETS (u32
 *	each); and SKL_A_STATUS_GENERATION (u64), the generation of the caller's
 *	namespace's rules (see SKL_CMD_RULE_COMMIT). The request needs no privilege; the
 *	hooks' calls and the live objects are sent only to a caller with CAP_NET_ADMIN
 *	over the initial user namespace, the generation only to one with CAP_NET_ADMIN over
 *	the caller's network namespace.
 *
 * Every other command acts on the caller's network namespace and needs CAP_NET_ADMIN
 * over it, to read as to change; so does joining the events group.
 *
 * SKL_CMD_RULE_ADD (do)
 *	Request: SKL_A_RULE_PROTO, SKL_A_RULE_FAMILY, SKL_A_RULE_DST and
 *	SKL_A_RULE_DST_PREFIXLEN are required; SKL_A_RULE_PORT_MIN/MAX (default 0-65535,
 *	any port; otherwise ports from 1 to 65535: port 0 only in the whole range),
 *	SKL_A_RULE_SRC with SKL_A_RULE_SRC_PREFIXLEN (default any source),
 *	SKL_A_RULE_IFNAME (default any device), SKL_A_RULE_PHASE (default
 *	SKL_PHASE_FIRST) are optional; SKL_A_RULE_ACTION is required.
 *	SKL_A_RULE_IFNAME names the device the packet arrives on (the lookup's device or
 *	its VRF's), as nftables' iifname does: the rule matches whichever device of the
 *	namespace has that name at the time, follows a device deleted and made again, and
 *	may name one that does not exist yet (it then matches nothing). A name shorter than
 *	IFNAMSIZ that the kernel would accept for a device (no '/', ':' or white space, not
 *	"." or ".."); an alternative name (ip link property) is not the device's name.
 *	SKL_A_RULE_IFINDEX, a device's index fixed when the rule was added, is refused
 *	since a rule no longer holds an index; name the device.
 *	SKL_ACTION_STEER needs SKL_A_RULE_LABEL; SKL_ACTION_REDIRECT needs
 *	SKL_A_RULE_REDIRECT_ADDR (an address of the rule's family) and takes
 *	SKL_A_RULE_REDIRECT_PORT (default 0: the packet's own port); each refuses the
 *	other's attributes, and a drop rule refuses both. SKL_RULE_F_NOREUSEPORT and
 *	SKL_RULE_F_ELSE_DROP go with SKL_ACTION_STEER only: without the latter, a steer
 *	rule whose label has no live socket for a lookup lets the kernel's own lookup
 *	answer (fail open); with it, the lookup is dropped (fail closed). Addresses are in
 *	network byte order and as long as the family's addresses; bits beyond the prefix
 *	length must be zero. SKL_A_RULE_COMMENT (optional) is the user's note on the rule:
 *	1 to SKL_RULE_COMMENT_MAX - 1 bytes of UTF-8 text without control characters (as
 *	a label's name), NUL-terminated; the policy bounds it at SKL_RULE_COMMENT_MAX
 *	bytes, and generic netlink refuses a longer one itself (-ERANGE, the attribute
 *	and its bound in the extended ack). It is kept with the rule and sent back with it,
 *	but is not part of what the rule matches or does, nor of what makes two rules the
 *	same.
 *	Reply: SKL_A_RULE_ID, the new rule's id.
 *	A rule with the same words as a rule in force (every attribute above the same;
 *	the id and counters are not words) is refused with -EEXIST, and the extended
 *	ack's cookie (NLMSGERR_ATTR_COOKIE) holds the existing rule's id, a u64 in host
 *	order. A staged rule is not compared with the rules in force.
 * SKL_CMD_RULE_DEL (do)
 *	Request: SKL_A_RULE_ID, or instead the rule's words: the attributes of RULE_ADD
 *	(without SKL_A_RULE_STAGE), validated as there, which delete the rule in force with
 *	exactly these words (-ENOENT if none has them).
 * SKL_CMD_RULE_GET (dump)
 *	One message per rule with every attribute above, SKL_A_RULE_ID and SKL_A_RULE_HITS;
 *	a redirect rule also has SKL_A_RULE_MISSES. Every rule the module sends (here and in
 *	events) has SKL_A_RULE_WORDS, a u64 with bit N set for each
 *	attribute N it carries that is one of its words (what RULE_ADD takes and what makes
 *	two rules the same; not the id, the counters or the comment). A reader that finds
 *	a bit above the attributes it knows holds a rule with a word it cannot write back:
 *	printed or saved without it, the rule would be another one. sklookupctl shows such
 *	a word as "?attrN", which apply refuses to read.
 * SKL_CMD_RULE_FLUSH (do)
 *	Removes every rule of the namespace; registered sockets stay.
 *
 * SKL_CMD_RULE_BEGIN (do)
 *	Opens an empty staged rule set for the calling netlink socket (dropping one it had).
 *	RULE_ADD requests with the flag SKL_A_RULE_STAGE then go into it, validated as
 *	usual but not in force. Closing the socket drops the set.
 *	A staged set belongs to the socket itself: another socket never sees it, even one
 *	that comes to have the same port id after the first one closed.
 * SKL_CMD_RULE_COMMIT (do)
 *	Replaces every rule of the namespace with the staged set, in one step: lookups see
 *	the old rules or the new ones. A rule in force with the same words as a staged one
 *	stays, with its id and counters; the other staged rules get new ids, in their
 *	order, above every id in force. A set that holds the same rule twice is refused
 *	with -EEXIST. Reply: SKL_A_RULE_COUNT and SKL_A_RULE_GENERATION
 *	(the new generation). The staged set is gone afterwards, also when the commit is
 *	refused (then the old rules stay).
 *	Request: SKL_A_RULE_GENERATION (u64), optional. Every change to the rules in force
 *	(RULE_ADD without SKL_A_RULE_STAGE, RULE_DEL, RULE_FLUSH, RULE_COMMIT) bumps the
 *	namespace's generation, which STATUS_GET reports. With the attribute, the commit
 *	is refused with -ESTALE when the generation is no longer the one given: the rules
 *	changed after the client read them (a dump to edit, or an add between BEGIN and
 *	COMMIT). Without it, the staged set replaces whatever is in force.
 *
 * SKL_CMD_SOCKET_ADD (do)
 *	Request: SKL_A_LABEL_NAME, SKL_A_LABEL_FD (a file descriptor of the caller's).
 *	Registers the socket under the label, creating the label if needed. Accepted: a
 *	TCP socket in the listening state, or a bound, unconnected UDP socket, of the
 *	caller's network namespace.
 * SKL_CMD_LABEL_DEL (do)
 *	Request: SKL_A_LABEL_NAME. Releases every socket registered under the label.
 * SKL_CMD_LABEL_GET (dump)
 *	One message per label: SKL_A_LABEL_NAME, the counters SKL_A_LABEL_LOOKUPS,
 *	SKL_A_LABEL_DELIVERED and SKL_A_LABEL_MISSES, and one nested SKL_A_LABEL_SOCKET
 *	per socket (skl_socket_attr). A label with more sockets than one message holds
 *	goes on in the messages that follow, each with SKL_A_LABEL_NAME and more
 *	SKL_A_LABEL_SOCKET, without the counters.
 *
 * SKL_CMD_EXPLAIN (do)
 *	Where a new connection or datagram would go, decided as the receive path decides
 *	but with no side effect: no counter moves, nothing is delivered. Needs
 *	CAP_NET_ADMIN over the namespace, as reading the rules does. Request:
 *	SKL_A_EXPLAIN_PROTO, _FAMILY, _DST and _DPORT are required;
 *	_SRC (default the unspecified address), _SPORT (default 0) and _IFINDEX (the ingress
 *	device, default none) are optional. Reply: SKL_A_EXPLAIN_VERDICT; with a rule's
 *	verdict SKL_A_EXPLAIN_RULE_ID and _PHASE; SKL_A_EXPLAIN_SOCKET (skl_socket_attr,
 *	nested) for the socket that would answer; SKL_A_EXPLAIN_KERNEL_SOCKET for the
 *	socket the kernel's own lookup found when a rule overrides it; then one
 *	SKL_A_EXPLAIN_MATCH (skl_explain_match_attr, nested) per rule that matches the flow,
 *	by phase and in precedence order, with what became of it, and
 *	SKL_A_EXPLAIN_TRUNCATED when not all of them fitted. A reuseport group's program is
 *	not run (it needs the packet): a group chooses by the flow's hash here.
 *
 * Events
 *
 * SKL_CMD_EVENT (multicast, group SKL_GENL_MCGRP_EVENTS)
 *	One message per change, sent to the listeners of the namespace where it happened;
 *	listening needs CAP_NET_ADMIN over the namespace, like reading, since an event
 *	tells what a dump does. SKL_A_EVENT_TYPE (u8, enum skl_event) says what happened:
 *	SKL_EVENT_RULE_ADDED, SKL_EVENT_RULE_DELETED: SKL_A_EVENT_RULE, a nest with the
 *	rule's attributes as in SKL_CMD_RULE_GET (without SKL_A_RULE_HITS).
 *	SKL_EVENT_RULES_REPLACED (a commit), SKL_EVENT_RULES_FLUSHED: SKL_A_EVENT_COUNT,
 *	the rules in force afterwards.
 *	SKL_EVENT_SOCKET_REGISTERED, SKL_EVENT_SOCKET_RELEASED: SKL_A_EVENT_LABEL and
 *	SKL_A_EVENT_SOCKET (skl_socket_attr, the socket as it was registered); a release
 *	carries SKL_A_EVENT_REASON (u8, enum skl_release_reason).
 *	SKL_EVENT_LABEL_EMPTY: SKL_A_EVENT_LABEL, a label whose last socket was released.
 *	SKL_EVENT_NETNS_GONE: a namespace that held rules or labels was destroyed. Nobody
 *	can listen in a namespace that is being destroyed (a listening socket keeps its
 *	namespace alive), so this one goes to the listeners of the initial namespace:
 *	SKL_A_EVENT_NETNS (u32, the namespace's inode number, as "ip netns identify" and
 *	lsns show it), SKL_A_EVENT_COUNT (rules it held) and SKL_A_EVENT_LABELS.
 *	Events are sent from process context, never from a lookup; a socket's release is
 *	found by the namespace's sweep, at most about half a second after its owner closed
 *	it or it stopped listening.
 */
#ifndef _UAPI_SKLOOKUP_H
#define _UAPI_SKLOOKUP_H

#define SKL_GENL_NAME		"sklookup"
#define SKL_GENL_VERSION	1
#define SKL_GENL_MCGRP_EVENTS	"events"

enum skl_cmd {
	SKL_CMD_UNSPEC,
	SKL_CMD_STATUS_GET,
	SKL_CMD_RULE_ADD,
	SKL_CMD_RULE_DEL,
	SKL_CMD_RULE_GET,
	SKL_CMD_RULE_FLUSH,
	SKL_CMD_SOCKET_ADD,
	SKL_CMD_LABEL_DEL,
	SKL_CMD_LABEL_GET,
	SKL_CMD_RULE_BEGIN,
	SKL_CMD_RULE_COMMIT,
	SKL_CMD_EXPLAIN,
	SKL_CMD_EVENT,

	__SKL_CMD_MAX,
	SKL_CMD_MAX = __SKL_CMD_MAX - 1
};

enum skl_status_attr {
	SKL_A_STATUS_UNSPEC,
	SKL_A_STATUS_VERSION,		/* string */
	SKL_A_STATUS_HOOK,		/* nest, skl_hook_attr; repeated */
	SKL_A_STATUS_NAMESPACES,	/* u32, namespaces holding rules or labels */
	SKL_A_STATUS_RULES,		/* u32, rules in all namespaces */
	SKL_A_STATUS_LABELS,		/* u32, labels in all namespaces */
	SKL_A_STATUS_SOCKETS,		/* u32, sockets the module holds a reference on */
	SKL_A_STATUS_STAGED,		/* u32, rules in staged sets not committed yet */
	SKL_A_STATUS_MAX_RULES,		/* u32, module parameter max_rules */
	SKL_A_STATUS_MAX_SOCKETS,	/* u32, module parameter max_sockets */
	SKL_A_STATUS_PAD,
	SKL_A_STATUS_GENERATION,	/* u64, generation of this namespace's rules */

	__SKL_A_STATUS_MAX,
	SKL_A_STATUS_MAX = __SKL_A_STATUS_MAX - 1
};

enum skl_hook_attr {
	SKL_A_HOOK_UNSPEC,
	SKL_A_HOOK_PAD,
	SKL_A_HOOK_NAME,		/* string */
	SKL_A_HOOK_PROTO,		/* u8 */
	SKL_A_HOOK_FAMILY,		/* u8 */
	SKL_A_HOOK_ACTIVE,		/* u8 */
	SKL_A_HOOK_CALLS,		/* u64 */

	__SKL_A_HOOK_MAX,
	SKL_A_HOOK_MAX = __SKL_A_HOOK_MAX - 1
};

/* When a rule is consulted, relative to the kernel's own listener/socket lookup. */
enum skl_phase {
	SKL_PHASE_FIRST,	/* before the kernel's lookup */
	SKL_PHASE_SPECIFIC,	/* after sockets bound to the exact address, before wildcards */
	SKL_PHASE_FALLBACK,	/* only when the kernel found nothing */

	__SKL_PHASE_MAX,
	SKL_PHASE_MAX = __SKL_PHASE_MAX - 1
};

enum skl_action {
	SKL_ACTION_UNSPEC,
	SKL_ACTION_STEER,	/* to a socket of SKL_A_RULE_LABEL */
	SKL_ACTION_DROP,	/* the lookup finds nothing: TCP resets, UDP drops */
	/*
	 * The kernel's own lookup, of SKL_A_RULE_REDIRECT_ADDR and _PORT instead of the
	 * packet's destination; its answer is not matched against the rules again. When it
	 * finds nothing, the lookup goes on as if the rule had not matched.
	 */
	SKL_ACTION_REDIRECT,

	__SKL_ACTION_MAX,
	SKL_ACTION_MAX = __SKL_ACTION_MAX - 1
};

/* SKL_A_RULE_FLAGS */
#define SKL_RULE_F_NOREUSEPORT	0x1	/* ignore the socket's reuseport group */
#define SKL_RULE_F_ELSE_DROP	0x2	/* no live socket in the label: drop, not fail open */
#define SKL_RULE_F_ALL		(SKL_RULE_F_NOREUSEPORT | SKL_RULE_F_ELSE_DROP)

#define SKL_LABEL_NAME_MAX	64	/* including the terminating NUL */
#define SKL_RULE_COMMENT_MAX	128	/* including the terminating NUL, as nft's comments */

/*
 * The code points a label name or a rule comment must not hold, so that what show,
 * monitor and JSON readers print reads as it is: C0, DEL and C1, which terminals act on,
 * and the marks that reorder or break a line (the bidirectional controls, U+2028 and
 * U+2029). The module refuses them; sklookupctl checks the same before it asks.
 */
static inline int skl_text_forbidden(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x61c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

enum skl_rule_attr {
	SKL_A_RULE_UNSPEC,
	SKL_A_RULE_PAD,
	SKL_A_RULE_ID,			/* u64 */
	SKL_A_RULE_PROTO,		/* u8, IPPROTO_TCP or IPPROTO_UDP */
	SKL_A_RULE_FAMILY,		/* u8, AF_INET or AF_INET6 */
	SKL_A_RULE_DST,			/* binary, 4 or 16 bytes */
	SKL_A_RULE_DST_PREFIXLEN,	/* u8 */
	SKL_A_RULE_SRC,			/* binary, 4 or 16 bytes */
	SKL_A_RULE_SRC_PREFIXLEN,	/* u8 */
	SKL_A_RULE_PORT_MIN,		/* u16, host order */
	SKL_A_RULE_PORT_MAX,		/* u16, host order */
	SKL_A_RULE_IFINDEX,		/* u32, refused: see SKL_A_RULE_IFNAME */
	SKL_A_RULE_PHASE,		/* u8, enum skl_phase */
	SKL_A_RULE_ACTION,		/* u8, enum skl_action */
	SKL_A_RULE_LABEL,		/* string */
	SKL_A_RULE_FLAGS,		/* u32, SKL_RULE_F_* */
	SKL_A_RULE_HITS,		/* u64, lookups the rule matched (dump only) */
	SKL_A_RULE_STAGE,		/* flag: into the staged set, not in force */
	SKL_A_RULE_COUNT,		/* u32, rules in force after a commit */
	SKL_A_RULE_REDIRECT_ADDR,	/* binary, 4 or 16 bytes */
	SKL_A_RULE_REDIRECT_PORT,	/* u16, host order; 0: the packet's port */
	SKL_A_RULE_MISSES,		/* u64, redirects that found no socket (dump only) */
	SKL_A_RULE_GENERATION,		/* u64, of the rules: commit's check and reply */
	SKL_A_RULE_COMMENT,		/* string, SKL_RULE_COMMENT_MAX with its NUL */
	SKL_A_RULE_IFNAME,		/* string, a device name shorter than IFNAMSIZ */
	SKL_A_RULE_WORDS,		/* u64, which attributes are words (module's only) */

	__SKL_A_RULE_MAX,
	SKL_A_RULE_MAX = __SKL_A_RULE_MAX - 1
};

enum skl_label_attr {
	SKL_A_LABEL_UNSPEC,
	SKL_A_LABEL_PAD,
	SKL_A_LABEL_NAME,		/* string */
	SKL_A_LABEL_FD,			/* u32 */
	SKL_A_LABEL_SOCKET,		/* nest, skl_socket_attr; repeated */
	SKL_A_LABEL_LOOKUPS,		/* u64, rule matches that chose this label */
	SKL_A_LABEL_DELIVERED,		/* u64, lookups answered with one of its sockets */
	SKL_A_LABEL_MISSES,		/* u64, matches with no live socket to answer */

	__SKL_A_LABEL_MAX,
	SKL_A_LABEL_MAX = __SKL_A_LABEL_MAX - 1
};

enum skl_socket_attr {
	SKL_A_SOCKET_UNSPEC,
	SKL_A_SOCKET_PAD,
	SKL_A_SOCKET_INODE,		/* u64, the socket inode (ss -e "ino:", lsof) */
	SKL_A_SOCKET_PROTO,		/* u8 */
	SKL_A_SOCKET_FAMILY,		/* u8 */
	SKL_A_SOCKET_ADDR,		/* binary, the bound local address */
	SKL_A_SOCKET_PORT,		/* u16, host order */

	__SKL_A_SOCKET_MAX,
	SKL_A_SOCKET_MAX = __SKL_A_SOCKET_MAX - 1
};

/* SKL_A_EXPLAIN_VERDICT: what answers the lookup. */
enum skl_verdict {
	SKL_VERDICT_RULE,	/* a rule's socket: a steer rule's label or a redirect's target */
	SKL_VERDICT_DROP,	/* a drop rule, or a steer rule's else drop: TCP is refused,
				 * UDP answered port unreachable, as for no socket
				 */
	SKL_VERDICT_KERNEL,	/* the kernel's own lookup, with its socket */
	SKL_VERDICT_NONE,	/* nothing: TCP is refused, UDP answered port unreachable */

	__SKL_VERDICT_MAX,
	SKL_VERDICT_MAX = __SKL_VERDICT_MAX - 1
};

/* SKL_A_EXPLAIN_MATCH_OUTCOME: what became of a rule that matches. */
enum skl_outcome {
	SKL_OUTCOME_DECIDED,	/* it answered */
	SKL_OUTCOME_NO_SOCKET,	/* it was chosen, but its label or target had no socket */
	SKL_OUTCOME_OUTRANKED,	/* a more precise rule of its phase was chosen */
	SKL_OUTCOME_NOT_REACHED, /* its phase was not consulted */

	__SKL_OUTCOME_MAX,
	SKL_OUTCOME_MAX = __SKL_OUTCOME_MAX - 1
};

enum skl_explain_attr {
	SKL_A_EXPLAIN_UNSPEC,
	SKL_A_EXPLAIN_PAD,
	SKL_A_EXPLAIN_PROTO,		/* u8, IPPROTO_TCP or IPPROTO_UDP */
	SKL_A_EXPLAIN_FAMILY,		/* u8, AF_INET or AF_INET6 */
	SKL_A_EXPLAIN_DST,		/* binary, 4 or 16 bytes */
	SKL_A_EXPLAIN_DPORT,		/* u16, host order */
	SKL_A_EXPLAIN_SRC,		/* binary, 4 or 16 bytes */
	SKL_A_EXPLAIN_SPORT,		/* u16, host order */
	SKL_A_EXPLAIN_IFINDEX,		/* u32 */
	SKL_A_EXPLAIN_VERDICT,		/* u8, enum skl_verdict */
	SKL_A_EXPLAIN_RULE_ID,		/* u64, the rule that decided */
	SKL_A_EXPLAIN_PHASE,		/* u8, enum skl_phase, the phase that decided */
	SKL_A_EXPLAIN_SOCKET,		/* nest, skl_socket_attr: the socket that answers */
	SKL_A_EXPLAIN_KERNEL_SOCKET,	/* nest, skl_socket_attr: the kernel's own answer */
	SKL_A_EXPLAIN_MATCH,		/* nest, skl_explain_match_attr; repeated */
	SKL_A_EXPLAIN_TRUNCATED,	/* flag: more rules matched than the reply holds */

	__SKL_A_EXPLAIN_MAX,
	SKL_A_EXPLAIN_MAX = __SKL_A_EXPLAIN_MAX - 1
};

enum skl_explain_match_attr {
	SKL_A_EXPLAIN_MATCH_UNSPEC,
	SKL_A_EXPLAIN_MATCH_PAD,
	SKL_A_EXPLAIN_MATCH_RULE_ID,	/* u64 */
	SKL_A_EXPLAIN_MATCH_PHASE,	/* u8, enum skl_phase */
	SKL_A_EXPLAIN_MATCH_OUTCOME,	/* u8, enum skl_outcome */

	__SKL_A_EXPLAIN_MATCH_MAX,
	SKL_A_EXPLAIN_MATCH_MAX = __SKL_A_EXPLAIN_MATCH_MAX - 1
};

enum skl_event {
	SKL_EVENT_UNSPEC,
	SKL_EVENT_RULE_ADDED,
	SKL_EVENT_RULE_DELETED,
	SKL_EVENT_RULES_REPLACED,
	SKL_EVENT_RULES_FLUSHED,
	SKL_EVENT_SOCKET_REGISTERED,
	SKL_EVENT_SOCKET_RELEASED,
	SKL_EVENT_LABEL_EMPTY,
	SKL_EVENT_NETNS_GONE,

	__SKL_EVENT_MAX,
	SKL_EVENT_MAX = __SKL_EVENT_MAX - 1
};

/* Why the module let go of a registered socket. */
enum skl_release_reason {
	SKL_RELEASE_UNSPEC,
	SKL_RELEASE_CLOSED,		/* its last file descriptor was closed */
	SKL_RELEASE_NOT_LISTENING,	/* still open, but no longer takes new flows */
	SKL_RELEASE_UNREGISTERED,	/* SKL_CMD_LABEL_DEL */
	SKL_RELEASE_NETNS_GONE,		/* its namespace was destroyed */

	__SKL_RELEASE_MAX,
	SKL_RELEASE_MAX = __SKL_RELEASE_MAX - 1
};

enum skl_event_attr {
	SKL_A_EVENT_UNSPEC,
	SKL_A_EVENT_TYPE,		/* u8, enum skl_event */
	SKL_A_EVENT_RULE,		/* nest, skl_rule_attr */
	SKL_A_EVENT_COUNT,		/* u32, rules */
	SKL_A_EVENT_LABEL,		/* string */
	SKL_A_EVENT_SOCKET,		/* nest, skl_socket_attr */
	SKL_A_EVENT_REASON,		/* u8, enum skl_release_reason */
	SKL_A_EVENT_NETNS,		/* u32, namespace inode number */
	SKL_A_EVENT_LABELS,		/* u32, labels */

	__SKL_A_EVENT_MAX,
	SKL_A_EVENT_MAX = __SKL_A_EVENT_MAX - 1
};

#endif /* _UAPI_SKLOOKUP_H */
