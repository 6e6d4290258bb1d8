/* fake-configfs.h - configfs played on a plain directory (see fake-configfs.c). */
#ifndef BL_FAKE_CONFIGFS_H
#define BL_FAKE_CONFIGFS_H

#include "configfs.h"

extern const struct bl_cfs_ops bl_fake_cfs_ops;
/* Makes <configfs_root>/target, as the kernel's mount has it. */
int bl_fake_cfs_prepare(const char *configfs_root);

#endif
