#ifndef VERIFYD_CLZMA_SHIM_H
#define VERIFYD_CLZMA_SHIM_H
#include <lzma.h>

/* liblzma's filter ids are macros Swift cannot import. */
static const lzma_vli CLZMA_FILTER_LZMA1 = LZMA_FILTER_LZMA1;
static const lzma_vli CLZMA_VLI_UNKNOWN = LZMA_VLI_UNKNOWN;
#endif
