#ifndef CHURN_CLIBPQ_SHIM_H
#define CHURN_CLIBPQ_SHIM_H
/* PostgreSQL's client library (Debian's libpq-dev puts the header in /usr/include/postgresql,
   which pkg-config's libpq.pc adds). Imported by exactly one Swift file,
   ChurnPipeline/Database/PostgresConnection.swift. */
#include <libpq-fe.h>
#endif
