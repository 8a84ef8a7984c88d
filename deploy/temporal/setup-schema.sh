#!/bin/sh
# One-shot job (temporalio/admin-tools image): creates Temporal's two
# PostgreSQL databases and brings both schemas to the version that this
# admin-tools release ships. Keep admin-tools and server on the same version.
#
# Safe to run on every `docker compose up`: create-database ignores a database
# that exists, setup-schema -v 0.0 leaves an initialised one alone, and
# update-schema applies only the versions that are missing (this is also how
# an upgrade of the server image migrates the schema).
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${POSTGRES_PWD:?}"
: "${DB_PORT:=5432}" "${DBNAME:=temporal}" "${VISIBILITY_DBNAME:=temporal_visibility}"

# temporal-sql-tool reads the password from SQL_PASSWORD, which keeps it off
# the command line (and out of `ps`).
SQL_PASSWORD="$POSTGRES_PWD"
export SQL_PASSWORD

sqltool() {
	temporal-sql-tool --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port "$DB_PORT" \
		--user "$POSTGRES_USER" "$@"
}

# depends_on already waits for pg_isready; retrying the first statement
# covers a server that is still settling (no nc: not every busybox has -z).
tries=0
until sqltool --database "$DBNAME" create-database; do
	tries=$((tries + 1))
	if [ "$tries" -ge 15 ]; then
		echo "setup-schema: cannot reach PostgreSQL at $POSTGRES_SEEDS:$DB_PORT as $POSTGRES_USER" >&2
		exit 1
	fi
	sleep 2
done

setup() { # database embedded-schema
	echo "setup-schema: $1 ($2)"
	sqltool --database "$1" create-database
	sqltool --database "$1" setup-schema -v 0.0
	sqltool --database "$1" update-schema --schema-name "$2"
}

setup "$DBNAME" postgresql/v12/temporal
setup "$VISIBILITY_DBNAME" postgresql/v12/visibility
echo "setup-schema: done"
