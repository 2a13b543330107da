// OpenBLAS from Debian's libopenblas-dev: <cblas.h> is the alternatives link to OpenBLAS's own header, which
// also declares openblas_set_num_threads / openblas_get_num_threads.
#include <cblas.h>
