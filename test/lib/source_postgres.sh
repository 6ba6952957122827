# source_postgres.sh — a plain PostgreSQL 15 server to import from, for test and
# bench scripts: source_start DIR PORT [wal_level]; source_sql "SQL"; source_stop.
# SCRAM passwords on TCP (no trust); the superuser is postgres with password
# $SOURCE_PASSWORD; stopped by its data directory, never by process name.

PG_BIN=${PG_BIN:-${SHALE_PG_BINDIR:-/usr/lib/postgresql/15/bin}}
SOURCE_PASSWORD=${SOURCE_PASSWORD:-source-secret}

# as_postgres CMD…: runs a command as the postgres OS user when we are root.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# source_start DIR PORT [WAL_LEVEL]: initdb, configure and start; sets SOURCE_DIR, SOURCE_PORT, SOURCE_URI.
source_start() {
  SOURCE_DIR=$1
  SOURCE_PORT=$2
  local wal_level=${3:-logical}
  mkdir -p "$SOURCE_DIR" "$SOURCE_DIR.logs"
  [ "$(id -u)" = 0 ] && chown postgres "$SOURCE_DIR" "$SOURCE_DIR.logs"
  local pwfile="$SOURCE_DIR.pw"
  echo "$SOURCE_PASSWORD" >"$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_postgres "$PG_BIN/initdb" -D "$SOURCE_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$pwfile" >"$SOURCE_DIR.logs/initdb.log" 2>&1 || { cat "$SOURCE_DIR.logs/initdb.log"; return 1; }
  rm -f "$pwfile"
  cat >>"$SOURCE_DIR/postgresql.conf" <<CONF
port = $SOURCE_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOURCE_DIR'
wal_level = $wal_level
max_replication_slots = 10
max_wal_senders = 10
fsync = off
CONF
  as_postgres "$PG_BIN/pg_ctl" -D "$SOURCE_DIR" -l "$SOURCE_DIR.logs/server.log" -w start >/dev/null || { cat "$SOURCE_DIR.logs/server.log"; return 1; }
  SOURCE_URI="postgres://postgres:$SOURCE_PASSWORD@127.0.0.1:$SOURCE_PORT/postgres"
  export SOURCE_DIR SOURCE_PORT SOURCE_URI
}

# source_sql SQL: runs SQL on the source as postgres (over TCP, with the password).
source_sql() {
  PGPASSWORD=$SOURCE_PASSWORD psql "postgres://postgres@127.0.0.1:$SOURCE_PORT/postgres" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

# source_restart: restarts the source (after a setting that needs it).
source_restart() {
  as_postgres "$PG_BIN/pg_ctl" -D "$SOURCE_DIR" -l "$SOURCE_DIR.logs/server.log" -w restart >/dev/null
}

source_stop() {
  if [ -n "${SOURCE_DIR:-}" ] && [ -f "$SOURCE_DIR/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$SOURCE_DIR" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}
