#!/usr/bin/env bash
# Restores a dump written by deploy/backup/backup.sh (runbook: "Bad migration", "Restore").
#
#   # into a new database next to the live one (inspect, then switch DATABASE_URL or copy rows)
#   RESTORE_DATABASE_URL='postgres://postgres:...@db.internal:5432/equoria_restored' \
#   RESTORE_DB_OWNER=equoria_owner \
#     deploy/backup/restore.sh --new /var/backups/equoria/equoria-20261125T031700Z.dump
#
#   # over the existing database (stop the service first: it drops and recreates every table)
#   RESTORE_DATABASE_URL='postgres://equoria_owner:...@db.internal:5432/equoria' \
#     deploy/backup/restore.sh --replace --yes /var/backups/equoria/equoria-20261125T031700Z.dump
#
# Modes (one is required):
#   --new      create the database named in RESTORE_DATABASE_URL (it must not exist yet), owned
#              by RESTORE_DB_OWNER (default: the URL's user), then restore with RESTORE_JOBS
#              parallel jobs. The URL's role needs CREATEDB; to recreate the dump's owners and
#              grants (tables owned by the migrator, rights granted to the app role) it must be a
#              superuser or the owning role itself.
#   --replace  restore into the existing database: every object in the dump is dropped and
#              recreated (pg_restore --clean --if-exists) in one transaction, so a failure leaves
#              the database exactly as it was. Objects that are not in the dump are left alone.
#              Needs --yes. The migrator role can do this on its own database.
# Steps: check the dump against its .sha256 (when present) and that it reads; create the database
# (--new); pg_restore --exit-on-error; ANALYZE; print the tables restored and the time taken.
# Afterwards run deploy/postgres/roles.sql for the database: a dump holds table grants but not the
# database-level ones (CONNECT, PUBLIC revoked).
#
# Settings (environment): RESTORE_DATABASE_URL (required; its password is moved to PGPASSWORD,
# never printed), RESTORE_DB_OWNER, RESTORE_JOBS (default 2; --new only), RESTORE_MAINTENANCE_DB
# (default postgres: where --new runs CREATE DATABASE), PG_BIN_DIR.
# Arguments after `--` go to pg_restore, e.g. `-- --no-owner --no-acl` to restore as a role that
# cannot take on the dump's owners (then run roles.sql, which hands everything to the migrator).
set -euo pipefail

script_name="restore.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$here/common.sh"

usage() {
    echo "usage: RESTORE_DATABASE_URL=postgres://... $0 --new|--replace --yes DUMP_FILE [-- PG_RESTORE_ARGS...]" >&2
    exit 2
}

mode="" confirmed=0 dump="" extra=()
while (($#)); do
    case "$1" in
        --new) mode=new ;;
        --replace) mode=replace ;;
        --yes) confirmed=1 ;;
        --) shift; extra=("$@"); break ;;
        -h | --help) usage ;;
        -*) log "unknown option $1"; usage ;;
        *) [[ -z "$dump" ]] || usage; dump="$1" ;;
    esac
    shift
done
[[ -n "$mode" && -n "$dump" ]] || usage
[[ -n "${RESTORE_DATABASE_URL:-}" ]] || die "RESTORE_DATABASE_URL is required (the database to restore into)"
[[ -f "$dump" && -r "$dump" ]] || die "$dump is not a readable file"
if [[ "$mode" == replace && "$confirmed" != 1 ]]; then
    die "--replace drops and recreates every table of the dump in the target database; add --yes if that is what you want"
fi
jobs="${RESTORE_JOBS:-2}"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "RESTORE_JOBS must be a positive whole number"

pg_restore="$(pg_tool pg_restore)"
psql="$(pg_tool psql)"
use_database_url "$RESTORE_DATABASE_URL"

# 1. the dump
if [[ -f "$dump.sha256" ]]; then
    expected="$(cut -d ' ' -f 1 "$dump.sha256")"
    actual="$(sha256sum "$dump" | cut -d ' ' -f 1)"
    [[ "$expected" == "$actual" ]] \
        || die "$dump does not match its checksum file $dump.sha256: corrupted or altered"
    log "checksum of $dump matches $dump.sha256"
else
    log "no $dump.sha256 next to the dump: checksum not verified"
fi
tables="$("$pg_restore" --list "$dump" | grep -c ' TABLE DATA ' || true)"
((tables > 0)) || die "$dump holds no table data (or is not a pg_dump custom-format archive)"

started="$SECONDS"
options=(--exit-on-error --no-password --dbname "$db_url")
# 2. the target
if [[ "$mode" == new ]]; then
    owner="${RESTORE_DB_OWNER:-$db_user}"
    maintenance="$db_base${RESTORE_MAINTENANCE_DB:-postgres}$db_query"
    log "creating database $db_name${owner:+ owned by $owner}"
    if [[ -n "$owner" ]]; then
        "$psql" -X -q -v ON_ERROR_STOP=1 --no-password -v db="$db_name" -v owner="$owner" \
            --dbname "$maintenance" <<<'CREATE DATABASE :"db" OWNER :"owner";' \
            || die "could not create database $db_name (does it exist already? --replace restores into an existing one)"
    else
        "$psql" -X -q -v ON_ERROR_STOP=1 --no-password -v db="$db_name" \
            --dbname "$maintenance" <<<'CREATE DATABASE :"db";' \
            || die "could not create database $db_name (does it exist already? --replace restores into an existing one)"
    fi
    options+=(--jobs "$jobs")
    log "restoring $dump ($tables tables) into the new database $db_shown with $jobs jobs"
else
    options+=(--clean --if-exists --single-transaction)
    log "restoring $dump ($tables tables) over $db_shown in one transaction (--clean --if-exists)"
fi

# 3. restore and refresh planner statistics (pg_restore does not)
"$pg_restore" "${options[@]}" "${extra[@]}" "$dump" \
    || die "pg_restore failed${mode:+ ($mode)}; with --replace nothing was changed, with --new drop the half-restored database $db_name before retrying"
restore_seconds=$((SECONDS - started))
# (a non-superuser analyses what it owns; the warnings about system catalogs are noise)
"$psql" -X -q -v ON_ERROR_STOP=1 --no-password --dbname "$db_url" \
    -c 'SET client_min_messages = error' -c 'ANALYZE' \
    || die "restored, but ANALYZE failed"
log "restored $tables tables into $db_shown in ${restore_seconds}s; next: run deploy/postgres/roles.sql with -v db=$db_name"
