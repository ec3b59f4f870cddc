-- users.signed_up marks the accounts made by a public sign-up, as against
-- those an administrator made (almanac user add): the administrator's
-- accounts are the server's own people, who know each other for the
-- invitations setting (docs/scheduling.md, "Invitations from someone
-- new"). Accounts from before this version whose address was never
-- verified can only be sign-ups; the others count as the administrator's.
ALTER TABLE users ADD COLUMN signed_up INTEGER NOT NULL DEFAULT 0;
UPDATE users SET signed_up = 1 WHERE email_verified = 0;
