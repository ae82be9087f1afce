#!/usr/bin/env bash
# Installs (if missing) and starts a local PostgreSQL for the Postgres store tests, then creates
# the test role and database. Safe to run again: it skips what is already there. Prints the
# connection string the tests read from SKYFLEET_TEST_PG.
#   PG_ROLE (skyfleet), PG_PASSWORD (skyfleet), PG_DB (skyfleet_test) override the names.
set -euo pipefail

ROLE="${PG_ROLE:-skyfleet}"
PASSWORD="${PG_PASSWORD:-skyfleet}"
DB="${PG_DB:-skyfleet_test}"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "postgres: installing postgresql" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

# The newest installed server version, and its cluster (created by the package; made if not).
VERSION="$(basename "$(dirname "$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)")")")"
CLUSTER="$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v { print $2; exit }')"
if [ -z "$CLUSTER" ]; then
  CLUSTER=main
  echo "postgres: creating cluster $VERSION/$CLUSTER" >&2
  $SUDO pg_createcluster "$VERSION" "$CLUSTER" >/dev/null
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"
STATUS="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }')"

if [ "$STATUS" != online ]; then
  echo "postgres: starting cluster $VERSION/$CLUSTER on port $PORT" >&2
  # A server killed a moment ago can leave its socket lock behind until its process is gone:
  # try again for a few seconds.
  for attempt in 1 2 3 4 5 6; do
    $SUDO pg_ctlcluster "$VERSION" "$CLUSTER" start && break
    [ "$attempt" = 6 ] && { echo "postgres: could not start $VERSION/$CLUSTER" >&2; exit 1; }
    sleep 2
  done
fi

for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || {
  echo "postgres: the server did not come up on 127.0.0.1:$PORT; see /var/log/postgresql/" >&2
  exit 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
psql_admin() {
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"
}

# Role: created once; its password is (re)set so a changed PG_PASSWORD takes effect.
psql_admin -v role="$ROLE" -v pw="$PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN PASSWORD :'pw';
SQL
psql_admin -v role="$ROLE" -v db="$DB" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL

echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
