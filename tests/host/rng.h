/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host tests' random numbers: splitmix64, so that a printed seed replays a run
 * exactly on any machine.
 */
#ifndef SKL_TEST_RNG_H
#define SKL_TEST_RNG_H

#include "match_env.h"

static u64 rng_state;

static inline u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number below @n; 0 when @n is 0. */
static inline u32 below(u32 n)
{
	return n ? (u32)(rnd() % n) : 0;
}

#endif /* SKL_TEST_RNG_H */
