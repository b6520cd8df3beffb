#!/usr/bin/env python3
"""Runs a `churn sql` query on an engine, with the event log (and customer table) loaded the
way a user loads them, and writes the result as CSV (NULL as an empty field).

    sql-features.py duckdb|postgres QUERY.sql EVENTS.csv [CUSTOMERS.csv] OUT.csv

Loading: events as customer_id VARCHAR, timestamp TIMESTAMP (UTC), event_type VARCHAR,
value DOUBLE (columns named as in the file's header, in that order); the customer table with
every column as text (the query casts attributes and dates). Used by the tests
(SQLEqualityTests) and scripts/check-spark-features.
"""
import csv
import sys


def events_types(header):
    # customer id, timestamp, event type, value: by the header's names (churn's defaults).
    types = {}
    for name in header:
        low = name.lower()
        if low in ("timestamp", "time", "ts"):
            types[name] = "TIMESTAMP"
        elif low == "value":
            types[name] = "DOUBLE"
        else:
            types[name] = "VARCHAR"
    return types


def run_duckdb(query, events, customers, out):
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    with open(events, newline="") as f:
        header = next(csv.reader(f))
    types = events_types(header)
    con.execute("CREATE TABLE events AS SELECT * FROM read_csv(?, header = true, columns = ?)", [events, types])
    if customers:
        con.execute("CREATE TABLE customers AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [customers])
    cur = con.execute(query)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    write(out, names, rows)


def run_postgres(query, events, customers, out):
    """psql on the server of the PG* environment (PGHOST, PGPORT, PGUSER): a fresh database,
    the tables loaded with \\copy, the query's result written by COPY ... TO STDOUT."""
    import os
    import subprocess
    import uuid
    env = dict(os.environ, PGTZ="UTC")
    db = "churn_sql_" + uuid.uuid4().hex[:12]

    def psql(sql, database="postgres", stdout=None):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database], input=sql.encode(), env=env,
                       check=True, stdout=stdout)

    def ident(name):
        return '"' + name.replace('"', '""') + '"'

    def literal(text):
        return "'" + text.replace("'", "''") + "'"

    psql(f"CREATE DATABASE {db}")
    try:
        with open(events, newline="") as f:
            header = next(csv.reader(f))
        pg_types = {"TIMESTAMP": "TIMESTAMPTZ", "DOUBLE": "DOUBLE PRECISION", "VARCHAR": "TEXT"}
        types = events_types(header)
        load = "CREATE TABLE events (" + ", ".join(f"{ident(n)} {pg_types[types[n]]}" for n in header) + ");\n"
        load += f"\\copy events FROM {literal(os.path.abspath(events))} WITH (FORMAT csv, HEADER true)\n"
        if customers:
            with open(customers, newline="") as f:
                cheader = next(csv.reader(f))
            load += "CREATE TABLE customers (" + ", ".join(f"{ident(n)} TEXT" for n in cheader) + ");\n"
            load += f"\\copy customers FROM {literal(os.path.abspath(customers))} WITH (FORMAT csv, HEADER true)\n"
        psql(load, db)
        with open(out, "wb") as f:
            psql("COPY (" + query + ") TO STDOUT WITH (FORMAT csv, HEADER true)", db, stdout=f)
    finally:
        psql(f"DROP DATABASE IF EXISTS {db}")


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write(out, names, rows):
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for row in rows:
            w.writerow([fmt(v) for v in row])


if __name__ == "__main__":
    args = sys.argv[1:]
    engine, query_path, events = args[0], args[1], args[2]
    customers = args[3] if len(args) == 5 else None
    out = args[-1]
    query = open(query_path).read()
    if engine == "duckdb":
        run_duckdb(query, events, customers, out)
    elif engine == "postgres":
        run_postgres(query, events, customers, out)
    else:
        sys.exit(f"sql-features.py: unknown engine {engine}; expected duckdb or postgres")
