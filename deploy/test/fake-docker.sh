#!/usr/bin/env bash
# Minimal `docker` stand-in for the script tests. Containers are directories under
# $FAKE_DOCKER_DIR; "running" one starts fake-equoria.py on the published loopback port with
# the image tag as version. A tag containing "bad" starts a server whose /health answers 503.
set -euo pipefail
state="${FAKE_DOCKER_DIR:?}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
echo "docker $*" >>"$state/calls.log"

start_server() {
    local dir="$state/containers/$1" port tag mode=healthy
    port="$(cat "$dir/port")"
    tag="$(cat "$dir/tag")"
    [[ "$tag" == *bad* ]] && mode=degraded
    python3 "$here/fake-equoria.py" "$port" "$tag" "$mode" >>"$dir/log" 2>&1 &
    echo "$!" >"$dir/pid"
}

stop_server() {
    local dir="$state/containers/$1"
    if [[ -f "$dir/pid" ]]; then
        kill "$(cat "$dir/pid")" 2>/dev/null || true
        rm -f "$dir/pid"
    fi
}

cmd="$1"; shift
case "$cmd" in
    pull) exit 0 ;;
    run)
        name="" port="" image="" detach=0
        while (($#)); do
            case "$1" in
                -d) detach=1; shift ;;
                --rm|--read-only) shift ;;
                --name) name="$2"; shift 2 ;;
                # The first published port is the server's; later ones (metrics) are only logged.
                -p) if [[ -z "$port" ]]; then port="${2#127.0.0.1:}"; port="${port%%:*}"; fi; shift 2 ;;
                -e|--env-file|--add-host|--restart|--tmpfs|--cap-drop|--security-opt|--memory|--cpus|--stop-timeout|--label) shift 2 ;;
                -*) echo "fake docker: unknown option $1" >&2; exit 2 ;;
                *) image="$1"; shift; break ;;
            esac
        done
        if ((!detach)); then echo "ran $image $*" >>"$state/oneshot.log"; exit 0; fi
        mkdir -p "$state/containers/$name"
        echo "$port" >"$state/containers/$name/port"
        echo "${image##*:}" >"$state/containers/$name/tag"
        start_server "$name"
        echo "fake-id-$name"
        ;;
    container)
        [[ "$1" == inspect ]] || exit 2
        shift
        if [[ "$1" == --format ]]; then
            [[ -d "$state/containers/$3" ]] || exit 1
            cat "$state/containers/$3/tag"
            exit 0
        fi
        [[ -d "$state/containers/$1" ]]
        ;;
    network)
        # `network inspect bridge --format ...`: docker's default bridge subnet.
        [[ "$1" == inspect && "$2" == bridge ]] || exit 2
        echo "172.17.0.0/16 "
        ;;
    rename) stop_server "$1"; mv "$state/containers/$1" "$state/containers/$2" ;;
    rm) [[ "$1" == -f ]] && shift; stop_server "$1"; rm -rf "${state:?}/containers/$1" ;;
    start) [[ -d "$state/containers/$1" ]] || exit 1; stop_server "$1"; start_server "$1" ;;
    stop) while [[ "$1" == --time ]]; do shift 2; done; stop_server "$1" ;;
    logs) while [[ "$1" == --tail ]]; do shift 2; done; cat "$state/containers/$1/log" ;;
    *) echo "fake docker: unsupported command $cmd" >&2; exit 2 ;;
esac
