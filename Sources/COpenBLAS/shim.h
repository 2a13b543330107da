// OpenBLAS from Debian's libopenblas-dev. Not linked: B00tCore opens libopenblas.so.0 with dlopen (see
// Sources/B00tCore/Embedding/BLAS.swift) so it can pick the kernels (OPENBLAS_CORETYPE) before the library
// initialises. This header gives the types, and these typedefs the signatures to call through.
#include <cblas.h>
#include <dlfcn.h>

typedef void (*b00t_sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint,
                              float, const float *, blasint, const float *, blasint, float, float *, blasint);
typedef void (*b00t_sgemv_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, blasint, blasint, float, const float *, blasint,
                              const float *, blasint, float, float *, blasint);
typedef void (*b00t_set_threads_fn)(int);
typedef char *(*b00t_corename_fn)(void);
