/*
 * fsdir.h - making a directory's entries durable (fsdir.c). Internal to the
 * library and the file helpers of src/util; not part of the public API.
 */
#ifndef OGEM_CORE_FSDIR_H
#define OGEM_CORE_FSDIR_H

/* fsyncs the directory DIR, so that the renames, creations and removals done
 * in it survive a crash. 0, or -1 with errno set. */
int ogem_fsync_dir(const char *dir);

#endif /* OGEM_CORE_FSDIR_H */
