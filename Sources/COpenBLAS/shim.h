#ifndef CHURN_COPENBLAS_SHIM_H
#define CHURN_COPENBLAS_SHIM_H
#include <cblas.h>

/* Debian builds OpenBLAS without lapacke.h, but libopenblas exports Fortran LAPACK.
   Column-major, every argument by pointer, 32-bit integers (Debian's LP64 build). */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);

#endif
