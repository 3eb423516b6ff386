# Stand-in for the official postgres image, named quantun-local/postgres:
# Debian bookworm's PostgreSQL 15 with an entrypoint that honours what the
# compose file uses of the official one (POSTGRES_USER, POSTGRES_PASSWORD,
# PGDATA, /docker-entrypoint-initdb.d, a first-start server reachable only
# on its socket while the init scripts run, pg_isready/psql on the PATH).
FROM quantun-local/debian-base:bookworm
# Like the official image: no cluster from the package, the server binaries
# first on the PATH.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
    && printf 'create_main_cluster = false\n' > /etc/postgresql-common/createcluster.d/quantun.conf \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql /var/lib/postgresql/data \
    && chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql \
    && chmod 3777 /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
