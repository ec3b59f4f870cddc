-- An address must be verified before the server matches it to the
-- account (scheduling, sharing by address). Addresses stored before this
-- rule are taken as verified; new users are unverified unless said
-- otherwise. A changed address waits in pending_email, the old one staying
-- in use, until the link sent to it (token digest, expiry in microseconds)
-- is followed.
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ALTER COLUMN email_verified SET DEFAULT FALSE;
ALTER TABLE users ADD COLUMN pending_email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_token TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_token_expires BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_email_token ON users (email_token) WHERE email_token <> '';
