#!/bin/sh
# protm's local LAVA instance: runs inside the sid-lava build root (chroot,
# private mount namespace; see tools/lava/server.ts for the mounts). Starts
# PostgreSQL on its own data directory under the cache, sets LAVA up once
# (database, user, token, worker, device types, devices), then runs the web
# API (gunicorn), the scheduler and one worker, all bound to 127.0.0.1, and
# waits. Settings come from the environment (DATABASE_URL, SECRET_KEY; see
# lava_server/settings/prod.py), so nothing in the build root is edited.
#
# Environment: STATE (state directory), PGPORT, HTTP_PORT, DB_PASSWORD,
# SECRET_KEY, API_TOKEN, WORKER_TOKEN, SETUP (a file listing device types and
# devices to add: "type NAME" / "device NAME TYPE").
set -eu

log() { printf '%s protm-lava: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
# Both mounted from the state directory (tools/lava/server.ts): the cache lies
# under /root, which the postgres and lavaserver users cannot enter.
PGDATA=/var/lib/postgresql/protm
LOGS=/var/log/protm-lava
mkdir -p "$PGDATA" /run/postgresql "$LOGS"
# Each service writes its own log here, as its own user.
chmod 1777 "$LOGS"
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
# The build root may have been made anew since (other uids): own what is ours.
chown -R postgres:postgres "$PGDATA"
chown -R lavaserver:lavaserver /var/lib/lava-server /var/log/lava-server /etc/lava-server/dispatcher-config
for f in "$LOGS"/*.log; do
	[ -e "$f" ] || continue
	case "$f" in */postgres.log) chown postgres:postgres "$f" ;; *) chown lavaserver:lavaserver "$f" ;; esac
done

as_postgres() { su postgres -s /bin/sh -c "$1"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	log "initdb"
	as_postgres "$PG_BIN/initdb -D '$PGDATA' --auth-local=peer --auth-host=scram-sha-256 -U postgres -E UTF8 --locale=C.UTF-8" >/dev/null
fi
log "postgres start"
as_postgres "$PG_BIN/pg_ctl -D '$PGDATA' -l '$LOGS/postgres.log' -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p $PGPORT -k /run/postgresql\" start" >/dev/null

psql_q() { as_postgres "psql -h /run/postgresql -p $PGPORT -v ON_ERROR_STOP=1 -tAc \"$1\""; }
if [ "$(psql_q "SELECT 1 FROM pg_roles WHERE rolname='lavaserver'")" != 1 ]; then
	log "create database"
	psql_q "CREATE ROLE lavaserver LOGIN PASSWORD '$DB_PASSWORD'" >/dev/null
	psql_q "CREATE DATABASE lavaserver OWNER lavaserver ENCODING 'UTF8' TEMPLATE template0" >/dev/null
fi

export DATABASE_URL="postgres://lavaserver:$DB_PASSWORD@127.0.0.1:$PGPORT/lavaserver"
export SECRET_KEY ALLOWED_HOSTS=127.0.0.1,localhost
# As lavaserver, like the package's postinst: django.log must stay writable by the services.
manage() { setpriv --reuid lavaserver --regid lavaserver --init-groups lava-server manage "$@"; }

# Migrations only when LAVA itself changed (a no-op migrate still takes ~20 s).
version=$(cat /usr/lib/python3/dist-packages/lava_common/VERSION 2>/dev/null || echo unknown)
if [ "$(cat "$STATE/migrated" 2>/dev/null)" != "$version" ]; then
	log "migrate (LAVA $version)"
	manage migrate --noinput >"$LOGS/migrate.log" 2>&1 || { tail -n 20 "$LOGS/migrate.log"; exit 1; }
	echo "$version" >"$STATE/migrated"
fi

if [ ! -e "$STATE/set-up" ]; then
	log "first setup: user, token, worker"
	manage users add protm --superuser --staff --passwd "$API_TOKEN" >/dev/null
	manage tokens add --user protm --secret "$API_TOKEN" --description protm >/dev/null
	manage workers add protm-worker --description "protm local worker" >/dev/null
	# The worker's token is the server's: read it back.
	manage workers details protm-worker | sed -n 's/^token *: //p' >"$STATE/worker-token"
	touch "$STATE/set-up"
fi
# Device types and devices (their templates are files under dispatcher-config),
# registered when the list changed: each manage call costs seconds.
if ! cmp -s "$SETUP" "$STATE/registered.list"; then
	log "register device types and devices"
	while read -r kind name type; do
		case "$kind" in
		type) manage device-types details "$name" >/dev/null 2>&1 || manage device-types add "$name" >/dev/null ;;
		device) manage devices details "$name" >/dev/null 2>&1 || manage devices add "$name" --device-type "$type" --worker protm-worker >/dev/null ;;
		esac
	done <"$SETUP"
	cp "$SETUP" "$STATE/registered.list"
fi

log "gunicorn on 127.0.0.1:$HTTP_PORT"
gunicorn3 lava_server.wsgi --bind "127.0.0.1:$HTTP_PORT" --workers 2 --worker-class gthread --threads 4 \
	-u lavaserver -g lavaserver --log-file "$LOGS/gunicorn.log" --timeout 120 &
pids=$!
log "scheduler"
manage lava-scheduler --level INFO --log-file "$LOGS/lava-scheduler.log" &
pids="$pids $!"
log "worker"
lava-worker --level INFO --url "http://127.0.0.1:$HTTP_PORT/" --name protm-worker --token "$(cat "$STATE/worker-token")" \
	--log-file "$LOGS/lava-worker.log" --worker-dir /var/lib/lava/dispatcher/worker &
pids="$pids $!"

stop() {
	log "stopping"
	kill $pids 2>/dev/null || true
	wait || true
	as_postgres "$PG_BIN/pg_ctl -D '$PGDATA' -m fast -w stop" >/dev/null || true
	log "stopped"
	exit 0
}
trap stop TERM INT
log "running"
# Any service dying takes the instance down, so that status never shows a half server.
while :; do
	for p in $pids; do kill -0 "$p" 2>/dev/null || { log "a service exited (pid $p)"; stop; }; done
	sleep 2 & wait $! || true
done
