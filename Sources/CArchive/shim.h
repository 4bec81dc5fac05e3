#ifndef VERIFYD_CARCHIVE_SHIM_H
#define VERIFYD_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/* AE_IF* are casts through another macro, which Swift does not import: re-export them. */
static const unsigned int CARCHIVE_AE_IFMT = AE_IFMT;
static const unsigned int CARCHIVE_AE_IFREG = AE_IFREG;
static const unsigned int CARCHIVE_AE_IFLNK = AE_IFLNK;
static const unsigned int CARCHIVE_AE_IFSOCK = AE_IFSOCK;
static const unsigned int CARCHIVE_AE_IFCHR = AE_IFCHR;
static const unsigned int CARCHIVE_AE_IFBLK = AE_IFBLK;
static const unsigned int CARCHIVE_AE_IFDIR = AE_IFDIR;
static const unsigned int CARCHIVE_AE_IFIFO = AE_IFIFO;
#endif
