//! [`AccountStore`] on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::accounts::*;
use equoria_application::paging::{Page, Paged};
use equoria_application::xp::XpEvent;
use equoria_domain::account::{Email, Role};
use equoria_domain::ledger::LedgerReason;
use equoria_domain::{Money, UserId};
use uuid::Uuid;

use crate::DbPool;
use crate::error::{TxError, from_diesel};
use crate::horses::{NewHorseRow, insert_horse};
use crate::ledger::{XpEventRow, into_xp_event, move_money};
use crate::schema::{breeds, ledger_entries, refresh_tokens, user_xp_events, users};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct UserRow {
    id: i64,
    email: String,
    username: String,
    first_name: Option<String>,
    last_name: Option<String>,
    bio: Option<String>,
    role: String,
    money: i64,
    xp: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl UserRow {
    fn into_profile(self) -> Result<UserProfile, StoreError> {
        Ok(UserProfile {
            id: UserId::new(self.id),
            role: parse_role(&self.role)?,
            email: self.email,
            username: self.username,
            first_name: self.first_name,
            last_name: self.last_name,
            bio: self.bio,
            money: self.money,
            xp: self.xp,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn parse_role(raw: &str) -> Result<Role, StoreError> {
    raw.parse()
        .map_err(|_| StoreError::Other(format!("unknown role `{raw}` in users")))
}

/// What a login or a password change checks. No Debug: it holds the password hash.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct CredentialsRow {
    id: i64,
    role: String,
    password_hash: String,
    session_epoch: i64,
}

impl CredentialsRow {
    fn into_credentials(self) -> Result<Credentials, StoreError> {
        Ok(Credentials {
            id: UserId::new(self.id),
            role: parse_role(&self.role)?,
            password_hash: self.password_hash,
            session_epoch: SessionEpoch(self.session_epoch),
        })
    }
}

/// A refresh token as a request first reads it, before any lock. No Debug
/// is needed: it is matched on, never logged.
#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
struct PresentedRow {
    id: Uuid,
    user_id: i64,
    family_id: Uuid,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
}

#[async_trait]
impl AccountStore for DbPool {
    async fn create_account(
        &self,
        account: NewAccount,
        grant: Money,
        starter: StarterHorse,
    ) -> Result<(UserProfile, SessionEpoch), CreateAccountError> {
        let mut conn = self.get().await?;
        let result = conn
            .transaction::<_, TxError<CreateAccountError>, _>(async move |conn| {
                let user_id: i64 = diesel::insert_into(users::table)
                    .values((
                        users::email.eq(account.email.as_str()),
                        users::username.eq(account.username.as_str()),
                        users::password_hash.eq(&account.password_hash),
                        users::first_name.eq(&account.first_name),
                        users::last_name.eq(&account.last_name),
                    ))
                    .returning(users::id)
                    .get_result(conn)
                    .await?;
                move_money(
                    conn,
                    user_id,
                    grant.coins(),
                    LedgerReason::RegistrationGrant,
                    None,
                )
                .await
                .map_err(|e| {
                    TxError::from_money(e, || {
                        StoreError::Other(
                            "registration grant refused by the balance check".to_owned(),
                        )
                        .into()
                    })
                })?;
                let breed_id: i32 = breeds::table
                    .filter(breeds::name.eq(starter.breed))
                    .select(breeds::id)
                    .first(conn)
                    .await
                    .optional()?
                    .ok_or_else(|| {
                        TxError::rule(StoreError::Other(
                            "the starter horse's breed is not seeded".to_owned(),
                        ))
                    })?;
                insert_horse(
                    conn,
                    NewHorseRow {
                        owner: UserId::new(user_id),
                        breed_id,
                        name: &starter.name,
                        sex: starter.sex,
                        date_of_birth: starter.date_of_birth,
                        stats: &starter.stats,
                    },
                )
                .await?;
                let row: (UserRow, i64) = users::table
                    .find(user_id)
                    .select((UserRow::as_select(), users::session_epoch))
                    .first(conn)
                    .await?;
                Ok(row)
            })
            .await;
        match result {
            Ok((row, epoch)) => Ok((row.into_profile()?, SessionEpoch(epoch))),
            Err(TxError::Store(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                info,
            ))) => match info.constraint_name() {
                Some("users_email_key") => Err(CreateAccountError::DuplicateEmail),
                Some("users_username_lower_key") => Err(CreateAccountError::DuplicateUsername),
                other => Err(StoreError::Conflict {
                    constraint: other.unwrap_or_default().to_owned(),
                }
                .into()),
            },
            Err(e) => Err(e.into_error()),
        }
    }

    async fn credentials_by_email(&self, email: &Email) -> Result<Option<Credentials>, StoreError> {
        let mut conn = self.get().await?;
        let row: Option<CredentialsRow> = users::table
            .filter(users::email.eq(email.as_str()))
            .select(CredentialsRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>, StoreError> {
        let mut conn = self.get().await?;
        let row: Option<CredentialsRow> = users::table
            .find(id.get())
            .select(CredentialsRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn profile(&self, id: UserId) -> Result<Option<UserProfile>, StoreError> {
        let mut conn = self.get().await?;
        let row: Option<UserRow> = users::table
            .find(id.get())
            .select(UserRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(UserRow::into_profile).transpose()
    }

    async fn update_profile(
        &self,
        id: UserId,
        patch: ProfilePatch,
    ) -> Result<Option<UserProfile>, StoreError> {
        let mut conn = self.get().await?;
        let clear = |v: Option<String>| v.map(|s| if s.is_empty() { None } else { Some(s) });
        #[derive(AsChangeset)]
        #[diesel(table_name = users)]
        struct Changes {
            first_name: Option<Option<String>>,
            last_name: Option<Option<String>>,
            bio: Option<Option<String>>,
            updated_at: DateTime<Utc>,
        }
        let changes = Changes {
            first_name: clear(patch.first_name),
            last_name: clear(patch.last_name),
            bio: clear(patch.bio),
            updated_at: Utc::now(),
        };
        let row: Option<UserRow> = diesel::update(users::table.find(id.get()))
            .set(changes)
            .returning(UserRow::as_returning())
            .get_result(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(UserRow::into_profile).transpose()
    }

    async fn change_password(&self, id: UserId, password_hash: String) -> Result<(), StoreError> {
        let mut conn = self.get().await?;
        conn.transaction::<_, DieselError, _>(async move |conn| {
            // Takes the user's row lock: a transaction storing a refresh
            // token either committed before (its token is revoked below) or
            // waits and then finds the epoch moved.
            diesel::update(users::table.find(id.get()))
                .set((
                    users::password_hash.eq(password_hash),
                    users::session_epoch.eq(users::session_epoch + 1),
                ))
                .execute(conn)
                .await?;
            diesel::update(refresh_tokens::table)
                .filter(refresh_tokens::user_id.eq(id.get()))
                .filter(refresh_tokens::revoked_at.is_null())
                .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
            Ok(())
        })
        .await
        .map_err(from_diesel)
    }

    async fn rehash_password(
        &self,
        id: UserId,
        old_hash: &str,
        new_hash: String,
    ) -> Result<bool, StoreError> {
        let mut conn = self.get().await?;
        diesel::update(
            users::table
                .find(id.get())
                .filter(users::password_hash.eq(old_hash)),
        )
        .set(users::password_hash.eq(new_hash))
        .execute(&mut conn)
        .await
        .map(|rows| rows == 1)
        .map_err(from_diesel)
    }

    async fn list_users(&self, page: Page) -> Result<Paged<UserProfile>, StoreError> {
        let mut conn = self.get().await?;
        let total: i64 = users::table
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        let rows: Vec<UserRow> = users::table
            .order(users::id.asc())
            .limit(i64::from(page.limit()))
            .offset(page.offset())
            .select(UserRow::as_select())
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        let items = rows
            .into_iter()
            .map(UserRow::into_profile)
            .collect::<Result<_, _>>()?;
        Ok(Paged { items, total, page })
    }

    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<UserProfile>, StoreError> {
        let mut conn = self.get().await?;
        let row: Option<UserRow> = diesel::update(users::table.find(id.get()))
            .set(users::role.eq(role.as_str()))
            .returning(UserRow::as_returning())
            .get_result(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(UserRow::into_profile).transpose()
    }

    async fn xp_history(&self, id: UserId, page: Page) -> Result<Paged<XpEvent>, StoreError> {
        let mut conn = self.get().await?;
        let filter = user_xp_events::user_id.eq(id.get());
        let total: i64 = user_xp_events::table
            .filter(filter)
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        let rows: Vec<XpEventRow> = user_xp_events::table
            .filter(filter)
            .order(user_xp_events::id.desc())
            .limit(i64::from(page.limit()))
            .offset(page.offset())
            .select((
                user_xp_events::id,
                user_xp_events::amount,
                user_xp_events::reason,
                user_xp_events::reference,
                user_xp_events::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        let items = rows.into_iter().map(into_xp_event).collect();
        Ok(Paged { items, total, page })
    }

    async fn transactions(&self, id: UserId, page: Page) -> Result<Paged<LedgerEntry>, StoreError> {
        let mut conn = self.get().await?;
        let filter = ledger_entries::user_id.eq(id.get());
        let total: i64 = ledger_entries::table
            .filter(filter)
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        let rows: Vec<(i64, i64, String, Option<String>, i64, DateTime<Utc>)> =
            ledger_entries::table
                .filter(filter)
                .order(ledger_entries::id.desc())
                .limit(i64::from(page.limit()))
                .offset(page.offset())
                .select((
                    ledger_entries::id,
                    ledger_entries::amount,
                    ledger_entries::reason,
                    ledger_entries::reference,
                    ledger_entries::balance_after,
                    ledger_entries::created_at,
                ))
                .load(&mut conn)
                .await
                .map_err(from_diesel)?;
        let items = rows
            .into_iter()
            .map(
                |(id, amount, reason, reference, balance_after, created_at)| LedgerEntry {
                    id,
                    amount,
                    reason,
                    reference,
                    balance_after,
                    created_at,
                },
            )
            .collect();
        Ok(Paged { items, total, page })
    }

    async fn store_refresh_token(
        &self,
        token: NewRefreshToken,
        epoch: SessionEpoch,
    ) -> Result<bool, StoreError> {
        let mut conn = self.get().await?;
        conn.transaction::<_, DieselError, _>(async move |conn| {
            if lock_sessions(conn, token.user_id.get()).await? != Some(epoch) {
                return Ok(false);
            }
            insert_refresh_token(conn, &token, None).await?;
            Ok(true)
        })
        .await
        .map_err(from_diesel)
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        next: NewRefreshToken,
        epoch: SessionEpoch,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StoreError> {
        let mut conn = self.get().await?;
        // The token as this request found it, before any lock: whether it
        // was already used *then* tells reuse from a lost race.
        let seen: Option<PresentedRow> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(presented_hash))
            .select(PresentedRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        let Some(seen) = seen else {
            return Ok(Rotation::Invalid);
        };
        if seen.user_id != next.user_id.get() || seen.family_id != next.family_id {
            return Ok(Rotation::Invalid);
        }
        if seen.used_at.is_some() {
            conn.transaction::<_, DieselError, _>(async move |conn| {
                lock_sessions(conn, seen.user_id).await?;
                revoke_family_by_id(conn, seen.family_id).await
            })
            .await
            .map_err(from_diesel)?;
            return Ok(Rotation::Reused);
        }
        if seen.revoked_at.is_some() || seen.expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        conn.transaction::<_, DieselError, _>(async move |conn| {
            if lock_sessions(conn, seen.user_id).await? != Some(epoch) {
                return Ok(Rotation::Invalid);
            }
            // Single use: under the user's row lock, the token is claimed
            // only if still live. A concurrent rotation that got here first
            // has used it; a revocation that got here first has revoked it:
            // either way this request lost a race and revokes nothing.
            let claimed = diesel::update(refresh_tokens::table.find(seen.id))
                .filter(refresh_tokens::used_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null())
                .filter(refresh_tokens::expires_at.gt(now))
                .set(refresh_tokens::used_at.eq(now))
                .execute(conn)
                .await?;
            if claimed == 0 {
                return Ok(Rotation::Invalid);
            }
            insert_refresh_token(conn, &next, Some(seen.id)).await?;
            Ok(Rotation::Rotated)
        })
        .await
        .map_err(from_diesel)
    }

    async fn revoke_family(&self, presented_hash: &str) -> Result<bool, StoreError> {
        let mut conn = self.get().await?;
        let presented_hash = presented_hash.to_owned();
        conn.transaction::<_, DieselError, _>(async move |conn| {
            let family: Option<(Uuid, i64)> = refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(&presented_hash))
                .select((refresh_tokens::family_id, refresh_tokens::user_id))
                .first(conn)
                .await
                .optional()?;
            let Some((family_id, user_id)) = family else {
                return Ok(false);
            };
            // After the lock, this statement sees every token a concurrent
            // rotation of the family stored before it committed.
            lock_sessions(conn, user_id).await?;
            revoke_family_by_id(conn, family_id).await?;
            Ok(true)
        })
        .await
        .map_err(from_diesel)
    }
}

/// Locks the user's row until the end of the transaction and returns the
/// session epoch (`None`: no such user). Every transaction that stores or
/// revokes refresh tokens takes this lock first, so they serialise per user
/// and each statement after it sees what the others committed.
async fn lock_sessions(
    conn: &mut diesel_async::AsyncPgConnection,
    user_id: i64,
) -> Result<Option<SessionEpoch>, DieselError> {
    users::table
        .find(user_id)
        .select(users::session_epoch)
        .for_update()
        .first(conn)
        .await
        .optional()
        .map(|epoch| epoch.map(SessionEpoch))
}

async fn insert_refresh_token(
    conn: &mut diesel_async::AsyncPgConnection,
    token: &NewRefreshToken,
    parent_id: Option<Uuid>,
) -> Result<(), DieselError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(token.id),
            refresh_tokens::user_id.eq(token.user_id.get()),
            refresh_tokens::family_id.eq(token.family_id),
            refresh_tokens::token_hash.eq(&token.token_hash),
            refresh_tokens::parent_id.eq(parent_id),
            refresh_tokens::expires_at.eq(token.expires_at),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

async fn revoke_family_by_id(
    conn: &mut diesel_async::AsyncPgConnection,
    family_id: Uuid,
) -> Result<(), DieselError> {
    diesel::update(refresh_tokens::table)
        .filter(refresh_tokens::family_id.eq(family_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
        .map(|_| ())
}
