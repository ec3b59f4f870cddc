-- An address must be verified before the server matches it to the
-- account (scheduling, sharing by address). Addresses stored before this
-- rule are taken as verified: the column's default is 1 for them, and
-- every new user is written with an explicit value. A changed address
-- waits in pending_email, the old one staying in use, until the link sent
-- to it (token digest, expiry in microseconds) is followed.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN pending_email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_token TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_token_expires INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_email_token ON users (email_token) WHERE email_token <> '';
