#ifndef VERIFYD_CZSTD_SHIM_H
#define VERIFYD_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>
#endif
