/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_VERSION_H
#define SKL_VERSION_H

/* SKL_VERSION is passed by Kbuild from the VERSION file at the top of the tree. */
#ifndef SKL_VERSION
#error "SKL_VERSION is not defined: build through the top-level Kbuild"
#endif

#endif /* SKL_VERSION_H */
