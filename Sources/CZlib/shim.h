#ifndef CHURN_CZLIB_SHIM_H
#define CHURN_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), which Swift cannot
   call: this wrapper does. windowBits 15 + 32: the largest window, and a gzip or zlib header
   detected automatically. */
static inline int churn_inflate_init(z_streamp stream) {
  return inflateInit2(stream, 15 + 32);
}

#endif
