#!/usr/bin/env bash
# One backup of the Equoria database (restores are proven by `cargo xtask backup-drill`).
#
#   BACKUP_DIR=/var/backups/equoria \
#   BACKUP_DATABASE_URL='postgres://equoria_owner:...@db.internal:5432/equoria' \
#     deploy/backup/backup.sh
#
# Steps:
#   1. pg_dump --format=custom into BACKUP_DIR/.PREFIX-<UTC timestamp>.dump.partial
#   2. check the archive reads back (pg_restore --list) and holds table data
#   3. rename it to PREFIX-YYYYmmddTHHMMSSZ.dump, write PREFIX-....dump.sha256 next to it
#   4. retention: delete older dumps beyond BACKUP_KEEP_COUNT and older than BACKUP_KEEP_DAYS
#      (never the one just written; nothing is deleted when the backup failed)
# Exit status 0 only when all of that succeeded. The password is never printed and never on a
# command line (it travels in PGPASSWORD).
#
# Settings (environment):
#   BACKUP_DATABASE_URL  the database, as a postgres:// URL. Use the migrator role (it owns every
#                        table, so it can read them all). Unset: libpq's PGHOST, PGPORT, PGUSER,
#                        PGDATABASE, PGPASSWORD/PGPASSFILE are used as they are.
#   BACKUP_DIR           where dumps go (required; created with mode 0700)
#   BACKUP_PREFIX        file name prefix, [A-Za-z0-9._-] (default equoria)
#   BACKUP_KEEP_COUNT    keep at most this many dumps, newest first (default 14; 0 = no limit)
#   BACKUP_KEEP_DAYS     delete dumps older than this many days (default 0 = no limit)
#   BACKUP_COMPRESS      pg_dump compression level 0-9 (default 6)
#   BACKUP_LOCK_TIMEOUT  give up if a table lock (e.g. a running migration) is not granted in
#                        this time (default 5min)
#   PG_BIN_DIR           directory holding pg_dump and pg_restore (default: PATH). Their major
#                        version must be at least the server's.
set -euo pipefail

script_name="backup.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$here/common.sh"

dir="${BACKUP_DIR:-}"
prefix="${BACKUP_PREFIX:-equoria}"
keep_count="${BACKUP_KEEP_COUNT:-14}"
keep_days="${BACKUP_KEEP_DAYS:-0}"
compress="${BACKUP_COMPRESS:-6}"
lock_timeout="${BACKUP_LOCK_TIMEOUT:-5min}"

[[ -n "$dir" ]] || die "BACKUP_DIR is required (the directory for the dumps)"
[[ "$prefix" =~ ^[A-Za-z0-9._-]+$ ]] || die "BACKUP_PREFIX may hold only letters, digits, '.', '_' and '-'"
[[ "$keep_count" =~ ^[0-9]+$ ]] || die "BACKUP_KEEP_COUNT must be a whole number (0 = no limit)"
[[ "$keep_days" =~ ^[0-9]+$ ]] || die "BACKUP_KEEP_DAYS must be a whole number (0 = no limit)"
[[ "$compress" =~ ^[0-9]$ ]] || die "BACKUP_COMPRESS must be 0-9"

pg_dump="$(pg_tool pg_dump)"
pg_restore="$(pg_tool pg_restore)"
connection=()
if [[ -n "${BACKUP_DATABASE_URL:-}" ]]; then
    use_database_url "$BACKUP_DATABASE_URL"
    connection=(--dbname "$db_url")
    source_shown="$db_shown"
else
    source_shown="${PGUSER:-$(id -un)}@${PGHOST:-localhost}:${PGPORT:-5432}/${PGDATABASE:-${PGUSER:-$(id -un)}} (libpq environment)"
fi

umask 077
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
name="$prefix-$stamp.dump"
final="$dir/$name"
partial="$dir/.$name.partial"
[[ ! -e "$final" ]] || die "$final already exists (two backups within one second?)"
trap 'rm -f "$partial"' EXIT

log "dumping $source_shown to $final"
started="$SECONDS"
"$pg_dump" --format=custom --compress="$compress" --no-password \
    --lock-wait-timeout="$lock_timeout" --file="$partial" "${connection[@]}" \
    || die "pg_dump failed; no backup written, nothing deleted"
dump_seconds=$((SECONDS - started))

listing="$("$pg_restore" --list "$partial")" || die "the new dump does not read back (pg_restore --list); nothing deleted"
tables="$(grep -c ' TABLE DATA ' <<<"$listing" || true)"
((tables > 0)) || die "the new dump holds no table data (wrong database?); nothing deleted"

mv -f "$partial" "$final"
trap - EXIT
(cd "$dir" && sha256sum "$name" >"$name.sha256")
size="$(wc -c <"$final" | tr -d ' ')"
log "wrote $final ($size bytes, $tables tables, ${dump_seconds}s)"

# Retention. Names sort by time (fixed-width UTC timestamps); newest first.
dumps=()
for path in "$dir/$prefix"-*.dump; do
    old="${path##*/}"
    [[ -f "$path" && "$old" =~ ^"$prefix"-[0-9]{8}T[0-9]{6}Z\.dump$ ]] && dumps+=("$old")
done
mapfile -t dumps < <(printf '%s\n' "${dumps[@]}" | sort -r)
cutoff=""
if ((keep_days > 0)); then
    cutoff="$prefix-$(date -u -d "@$(($(date -u +%s) - keep_days * 86400))" +%Y%m%dT%H%M%SZ).dump"
fi
deleted=0
for index in "${!dumps[@]}"; do
    old="${dumps[$index]}"
    [[ -n "$old" && "$old" != "$name" ]] || continue
    if { ((keep_count > 0)) && ((index >= keep_count)); } || [[ -n "$cutoff" && "$old" < "$cutoff" ]]; then
        rm -f -- "${dir:?}/$old" "${dir:?}/$old.sha256"
        deleted=$((deleted + 1))
        log "retention: deleted $old"
    fi
done
log "done: $((${#dumps[@]} - deleted)) dumps kept in $dir (BACKUP_KEEP_COUNT=$keep_count, BACKUP_KEEP_DAYS=$keep_days)"
echo "$final"
