-- The service roles and databases: one role and one database per product
-- (qsgw: control plane; qrap: risk API), each database owned by its role.
-- The services apply their schema migrations themselves.
--
-- The one copy of this SQL, run as a superuser by psql (it uses psql's
-- \gexec and :'var'), with the passwords as psql variables:
--
--   psql -v ON_ERROR_STOP=1 -v qsgw_pw=... -v qrap_pw=... -d postgres -f roles.sql
--
-- Used by compose (compose/postgres/init-databases.sh, on the container's
-- first start) and by `make run` (scripts/run.sh, on every start against
-- its private PostgreSQL). Idempotent: a role or database that exists is
-- kept, and the role's password is set to the given one.

SELECT format('CREATE ROLE qsgw LOGIN PASSWORD %L', :'qsgw_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qsgw') \gexec
SELECT format('CREATE ROLE qrap LOGIN PASSWORD %L', :'qrap_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qrap') \gexec
ALTER ROLE qsgw WITH LOGIN PASSWORD :'qsgw_pw';
ALTER ROLE qrap WITH LOGIN PASSWORD :'qrap_pw';
SELECT 'CREATE DATABASE qsgw OWNER qsgw'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'qsgw') \gexec
SELECT 'CREATE DATABASE qrap OWNER qrap'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'qrap') \gexec
