# shellcheck shell=bash
# Shared by backup.sh and restore.sh (sourced, not run).

# Deterministic sorting and byte-wise URL decoding.
export LC_ALL=C

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${script_name:-equoria}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pg_tool NAME: the PostgreSQL client program NAME, from PG_BIN_DIR when set.
pg_tool() {
    local tool="${PG_BIN_DIR:+$PG_BIN_DIR/}$1"
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (install the PostgreSQL client, or set PG_BIN_DIR)"
    printf '%s' "$tool"
}

# url_decode TEXT: %XX escapes replaced by their bytes.
url_decode() {
    local rest="$1" out="" byte
    while [[ -n "$rest" ]]; do
        if [[ "$rest" =~ ^%([0-9A-Fa-f]{2}) ]]; then
            printf -v byte '%b' "\\x${BASH_REMATCH[1]}"
            out+="$byte"
            rest="${rest:3}"
        else
            out+="${rest:0:1}"
            rest="${rest:1}"
        fi
    done
    printf '%s' "$out"
}

# use_database_url URL: splits a postgres:// URL so that its password never appears in a
# command line or in output. Sets
#   db_url    the URL without the password (for --dbname)
#   db_shown  user@host:port/database, for messages
#   db_name   the database name (decoded)
#   db_user   the user name (decoded; empty when the URL names none)
#   db_base   the URL without the password and without the database, ending in "/"
#   db_query  "?..." or empty
# and exports PGPASSWORD when the URL carries a password.
# shellcheck disable=SC2034 # the globals above are the function's results, used by the callers
use_database_url() {
    local url="$1" scheme rest authority path userinfo hostport user password
    [[ "$url" =~ ^(postgres|postgresql):// ]] || die "the database URL must start with postgres:// or postgresql://"
    scheme="${url%%://*}"
    rest="${url#*://}"
    authority="${rest%%/*}"
    if [[ "$rest" == */* ]]; then
        path="${rest#*/}"
    else
        path=""
    fi
    db_query=""
    if [[ "$path" == *\?* ]]; then
        db_query="?${path#*\?}"
        path="${path%%\?*}"
    fi
    if [[ "$authority" == *@* ]]; then
        userinfo="${authority%@*}"
        hostport="${authority##*@}"
    else
        userinfo=""
        hostport="$authority"
    fi
    user="${userinfo%%:*}"
    if [[ "$userinfo" == *:* ]]; then
        password="${userinfo#*:}"
        PGPASSWORD="$(url_decode "$password")"
        export PGPASSWORD
    fi
    [[ -n "$path" ]] || die "the database URL names no database (postgres://user@host:port/DATABASE)"
    db_name="$(url_decode "$path")"
    db_user="$(url_decode "$user")"
    db_base="$scheme://${user:+$user@}$hostport/"
    db_url="$db_base$path$db_query"
    db_shown="${user:+$user@}$hostport/$db_name"
}
