#!/bin/sh
# Creates the worker's own role and database next to Temporal's.
#
# The postgres image runs this once, when it initialises an EMPTY data
# directory (docker-entrypoint-initdb.d). Changing IDFLOW_DB_PASSWORD later has
# no effect on an existing volume: change it with ALTER ROLE, or start over
# with `docker compose down -v` (which deletes all data).
#
# The superuser (POSTGRES_USER) is Temporal's user; the worker gets a role
# that owns only its own database.
#
# No `set -u`: if this file loses its executable bit the entrypoint sources it
# instead of running it, and the entrypoint's own shell must not change.
set -e

: "${IDFLOW_DB_USER:?IDFLOW_DB_USER must be set for the postgres service}"
: "${IDFLOW_DB_PASSWORD:?IDFLOW_DB_PASSWORD must be set for the postgres service}"
: "${IDFLOW_DB_NAME:=idflow}"

# psql substitutes :"name" (identifier) and :'name' (literal) safely, whatever
# characters the values hold; it does so only in scripts it reads, so the SQL
# comes on standard input rather than through -c.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
	--set=user="$IDFLOW_DB_USER" --set=password="$IDFLOW_DB_PASSWORD" --set=db="$IDFLOW_DB_NAME" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
