/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hook=direct's trampolines for arm64 are not written yet: compat.h leaves
 * SKL_HAVE_DIRECT_HOOK unset there, and loading with hook=direct is refused with a
 * message; the ops hook works as before. doc/direct-calls.md section 3 describes what an
 * arm64 trampoline is entered with.
 */
