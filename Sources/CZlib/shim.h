// zlib (Debian: zlib1g-dev), for gzip and dictzip corpora.
#include <zlib.h>
