#!/bin/sh
# Entrypoint of the quantun-local/postgres stand-in: the parts of the
# official image's docker-entrypoint.sh that the compose file relies on.
#  - runs as root only to prepare $PGDATA, then as the postgres user;
#  - first start (no $PGDATA/PG_VERSION): initdb with the superuser
#    $POSTGRES_USER / $POSTGRES_PASSWORD, local connections and
#    127.0.0.1 trusted, every other host with scram-sha-256; a temporary
#    server listening on the socket only runs /docker-entrypoint-initdb.d/*
#    (*.sh executed when executable, else sourced; *.sql through psql),
#    then stops;
#  - finally execs `postgres` listening on all addresses.
set -eu

if [ "${1:-postgres}" != "postgres" ]; then
    exec "$@"
fi

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
export PGDATA POSTGRES_USER

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "docker-entrypoint.sh: POSTGRES_PASSWORD is not set" >&2
        exit 1
    fi
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=trust \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p 5432" start >/dev/null
    export PGPASSWORD="$POSTGRES_PASSWORD"
    for f in /docker-entrypoint-initdb.d/*; do
        [ -e "$f" ] || continue
        case "$f" in
            *.sh)
                echo "docker-entrypoint.sh: running $f"
                # shellcheck disable=SC1090 # the image's init scripts
                if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
            *.sql)
                echo "docker-entrypoint.sh: running $f"
                psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -f "$f" ;;
            *) echo "docker-entrypoint.sh: ignoring $f" ;;
        esac
    done
    unset PGPASSWORD
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "docker-entrypoint.sh: init complete; starting the server"
fi

[ "$#" -gt 0 ] && shift
exec postgres -c listen_addresses='*' "$@"
