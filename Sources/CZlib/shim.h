#ifndef VERIFYD_CZLIB_SHIM_H
#define VERIFYD_CZLIB_SHIM_H
#include <zlib.h>
#endif
