#!/bin/sh
# First start of the compose Postgres: the qsgw and qrap roles and databases
# from compose/postgres/roles.sql (the SQL `make run` uses too), mounted at
# /etc/quantun/roles.sql. Runs inside the postgres image
# (docker-entrypoint-initdb.d) as the superuser.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v qsgw_pw="$QSGW_DB_PASSWORD" -v qrap_pw="$QRAP_DB_PASSWORD" \
    -f /etc/quantun/roles.sql
