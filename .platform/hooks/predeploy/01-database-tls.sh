#!/usr/bin/env bash
# Elastic Beanstalk predeploy hook (in the bundle by deploy/elasticbeanstalk/package.sh):
# refuses the deployment unless DATABASE_URL, and MIGRATION_DATABASE_URL when set, ask for TLS
# (sslmode=require, verify-ca or verify-full). RDS for PostgreSQL 15+ refuses plaintext anyway;
# this turns that into a failed deploy with a clear message instead of a failing health check.
# EQUORIA_GET_CONFIG replaces EB's get-config for a test.
set -euo pipefail

get_config="${EQUORIA_GET_CONFIG:-/opt/elasticbeanstalk/bin/get-config}"
status=0
for key in DATABASE_URL MIGRATION_DATABASE_URL; do
    url="$("$get_config" environment -k "$key" 2>/dev/null || true)"
    if [[ -z "$url" ]]; then
        [[ "$key" == DATABASE_URL ]] && { echo "equoria: $key is not set (eb setenv $key=...)" >&2; status=1; }
        continue
    fi
    if [[ ! "$url" =~ [?\&]sslmode=(require|verify-ca|verify-full)(\&|$) ]]; then
        echo "equoria: $key does not ask for TLS; append ?sslmode=verify-full&sslrootcert=/etc/equoria/rds-ca.pem" >&2
        status=1
    fi
done
exit "$status"
