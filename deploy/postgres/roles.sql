-- Least-privilege database roles for Equoria: the running service gets only the rights it
-- needs. See deploy/postgres/README.md for how to apply it and wire the URLs.
--
--   psql -X -v ON_ERROR_STOP=1 -d postgres://admin@db.internal:5432/postgres \
--        -v db=equoria -v migrator_user=equoria_owner -v app_user=equoria_app \
--        -v migrator_password="$MIGRATOR_PASSWORD" -v app_password="$APP_PASSWORD" \
--        -f deploy/postgres/roles.sql
--
-- Every variable is optional (defaults: db=equoria, migrator_user=equoria_owner,
-- app_user=equoria_app; a password left out keeps the role's current one). The script is
-- idempotent: each run converges the roles, the database and every privilege to what is
-- described below, whatever the state before. Run it as a superuser (or an administrator with
-- CREATEROLE and CREATEDB that is a member of the migrator role), and run it again after the
-- first `equoria migrate run` so the migration bookkeeping table is locked down too.
--
-- Result:
--   migrator (MIGRATION_DATABASE_URL, `equoria migrate`): owns the database, schema public and
--     every table, sequence, view and function in it, so it can create, alter and drop them.
--   app (DATABASE_URL, `equoria serve`): CONNECT on the database, USAGE on schema public,
--     SELECT/INSERT/UPDATE/DELETE on tables, except the append-only history tables (money
--     ledgers, XP histories, competition results, training log), where it has SELECT and INSERT
--     only, so even a compromised server cannot rewrite or erase history; and USAGE/SELECT on
--     sequences (nextval/currval; not UPDATE, which would allow setval). Nothing else: no CREATE anywhere (no tables, no
--     temporary tables), not the owner of anything, so no ALTER, DROP or TRUNCATE, no
--     REFERENCES or TRIGGER. __diesel_schema_migrations is read-only for it.
--   ALTER DEFAULT PRIVILEGES FOR ROLE migrator: tables and sequences that future migrations
--     create are granted to the app role automatically.
--   PUBLIC (every role of the cluster) loses CONNECT and TEMPORARY on the database and every
--     privilege on schema public, including CREATE.

\set ON_ERROR_STOP on
\if :{?db}
\else
    \set db equoria
\endif
\if :{?migrator_user}
\else
    \set migrator_user equoria_owner
\endif
\if :{?app_user}
\else
    \set app_user equoria_app
\endif

-- Keep the passwords below out of the server log when statements are logged (these settings
-- are for superusers only; other administrators should check log_statement themselves).
SELECT rolsuper AS roles_sql_superuser FROM pg_roles WHERE rolname = current_user \gset
\if :roles_sql_superuser
    SET log_statement = 'none';
    SET log_min_duration_statement = -1;
\endif

-- Refuse combinations that would leave the service with more rights than intended or lock the
-- administrator out: one role for both purposes, or changing the role running this script.
SELECT :'app_user' = :'migrator_user' AS roles_sql_same_role,
       current_user IN (:'app_user', :'migrator_user') AS roles_sql_self \gset
\if :roles_sql_same_role
    DO $$ BEGIN RAISE EXCEPTION 'roles.sql: app_user and migrator_user must be two different roles'; END $$;
\endif
\if :roles_sql_self
    DO $$ BEGIN RAISE EXCEPTION 'roles.sql: run it as an administrator, not as the app or migrator role'; END $$;
\endif

-- Roles. CREATE ROLE's defaults are NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
-- NOBYPASSRLS; an existing role with any of those is refused below rather than altered
-- (only a superuser may change some of them, and a surprise like that needs a human).
SELECT format('CREATE ROLE %I LOGIN', :'migrator_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'migrator_user') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"migrator_user" LOGIN;
ALTER ROLE :"app_user" LOGIN;
\if :{?migrator_password}
    ALTER ROLE :"migrator_user" PASSWORD :'migrator_password';
\endif
\if :{?app_password}
    ALTER ROLE :"app_user" PASSWORD :'app_password';
\endif

SELECT string_agg(rolname, ', ') AS roles_sql_privileged, count(*) > 0 AS roles_sql_refuse
  FROM pg_roles
 WHERE rolname IN (:'app_user', :'migrator_user')
   AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls) \gset
\if :roles_sql_refuse
    \echo 'roles.sql: these roles have SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS:' :roles_sql_privileged
    DO $$ BEGIN RAISE EXCEPTION 'roles.sql: refusing to use a privileged role (ALTER ROLE ... NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS first)'; END $$;
\endif
-- The app role must not inherit rights from any other role (for example the migrator's).
SELECT string_agg(g.rolname, ', ') AS roles_sql_memberships, count(*) > 0 AS roles_sql_member
  FROM pg_auth_members m
  JOIN pg_roles g ON g.oid = m.roleid
  JOIN pg_roles r ON r.oid = m.member
 WHERE r.rolname = :'app_user' \gset
\if :roles_sql_member
    \echo 'roles.sql: the app role is a member of:' :roles_sql_memberships
    DO $$ BEGIN RAISE EXCEPTION 'roles.sql: the app role must not be a member of other roles (REVOKE them first)'; END $$;
\endif

-- The database, owned by the migrator (so schema public, owned by pg_database_owner since
-- PostgreSQL 15, is the migrator's as well).
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'migrator_user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"migrator_user";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
REVOKE ALL ON DATABASE :"db" FROM :"app_user";
GRANT CONNECT ON DATABASE :"db" TO :"app_user";

\connect :"db"
\if :roles_sql_superuser
    SET log_statement = 'none';
\endif

BEGIN;
SET LOCAL equoria.migrator_user = :'migrator_user';

-- Schema public: the migrator's; the app may only look things up in it.
ALTER SCHEMA public OWNER TO :"migrator_user";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM :"app_user";
GRANT USAGE ON SCHEMA public TO :"app_user";

-- Objects created before this script ran (for example by migrations run as a superuser) are
-- handed to the migrator, so that it can alter and drop them in later migrations. Sequences
-- of identity and serial columns follow their table.
DO $$
DECLARE
    migrator text := current_setting('equoria.migrator_user');
    item record;
BEGIN
    FOR item IN
        SELECT c.oid::regclass AS name
          FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND pg_get_userbyid(c.relowner) <> migrator
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %I', item.name, migrator);
    END LOOP;
    FOR item IN
        SELECT c.oid::regclass AS name
          FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace
           AND c.relkind = 'S'
           AND pg_get_userbyid(c.relowner) <> migrator
           AND NOT EXISTS (SELECT FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype IN ('a', 'i'))
    LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', item.name, migrator);
    END LOOP;
    FOR item IN
        SELECT p.oid::regprocedure AS name
          FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
           AND pg_get_userbyid(p.proowner) <> migrator
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', item.name, migrator);
    END LOOP;
END
$$;

-- Existing tables and sequences: exactly the row rights, whatever was granted before.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"app_user";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_user";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"app_user";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_user";
-- Append-only history: rows are only ever added. (Foreign-key actions such as ON DELETE SET
-- NULL when a horse is deleted run as the table owner, so they still work.) A migration that
-- adds another history table adds it to this list.
SELECT format('REVOKE UPDATE, DELETE ON public.%I FROM %I', history.name, :'app_user')
  FROM unnest(ARRAY['ledger_entries', 'house_ledger', 'user_xp_events', 'horse_xp_events',
                    'competition_results', 'training_sessions']) AS history(name)
 WHERE to_regclass(format('public.%I', history.name)) IS NOT NULL \gexec
-- Diesel's record of applied migrations (exists after the first `equoria migrate run`).
SELECT format('REVOKE INSERT, UPDATE, DELETE ON public.__diesel_schema_migrations FROM %I',
              :'app_user')
 WHERE to_regclass('public.__diesel_schema_migrations') IS NOT NULL \gexec

-- Tables and sequences the migrator creates from now on.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_user" IN SCHEMA public
    REVOKE ALL ON TABLES FROM :"app_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_user" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_user" IN SCHEMA public
    REVOKE ALL ON SEQUENCES FROM :"app_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_user" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app_user";
COMMIT;

-- What the two roles can do now, for the operator's record.
SELECT r.rolname AS role,
       pg_has_role(r.rolname, d.datdba, 'USAGE') AS owns_database,
       has_database_privilege(r.rolname, d.datname, 'CONNECT') AS can_connect,
       has_database_privilege(r.rolname, d.datname, 'TEMPORARY') AS temp_tables,
       has_schema_privilege(r.rolname, 'public', 'CREATE') AS create_in_public,
       (SELECT count(*) FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')) AS tables,
       (SELECT count(*) FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
           AND c.relowner = r.oid) AS tables_owned
  FROM pg_roles r
  JOIN pg_database d ON d.datname = current_database()
 WHERE r.rolname IN (:'migrator_user', :'app_user')
 ORDER BY owns_database DESC;
