#!/bin/sh
# First start of the compose Postgres: one role and one database per product.
# Runs inside the postgres image (docker-entrypoint-initdb.d) as the superuser.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v qsgw_pw="$QSGW_DB_PASSWORD" -v qrap_pw="$QRAP_DB_PASSWORD" <<'SQL'
CREATE ROLE qsgw LOGIN PASSWORD :'qsgw_pw';
CREATE DATABASE qsgw OWNER qsgw;
CREATE ROLE qrap LOGIN PASSWORD :'qrap_pw';
CREATE DATABASE qrap OWNER qrap;
SQL
