-- Up Migration

-- Every email the engine sends goes through here first. `dedupe_key` names what the message is for
-- (an escalation rung of one step of one case, for one recipient; a day's digest for one recipient): a
-- retried activity or a restarted worker finds the row instead of sending again.
--   pending   → waiting to be sent (again, after a transient SMTP failure: `next_attempt_at`)
--   sending   → claimed by a sender; a sender that died here leaves it for `in-doubt`, never re-sent
--   sent      → accepted by the SMTP server
--   local     → no SMTP server configured: kept here for the UI's outbox
--   failed    → refused permanently (5xx): recorded and reported, not retried
--   in-doubt  → the sender died between sending and recording: maybe delivered, not re-sent
CREATE TABLE email_outbox (
  id               bigserial PRIMARY KEY,
  dedupe_key       text NOT NULL UNIQUE,
  kind             text NOT NULL CHECK (kind IN ('escalation', 'digest')),
  case_id          uuid REFERENCES cases (id),
  step             text,
  rung             text,
  recipient_user_id uuid REFERENCES users (id),
  to_address       text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
  subject          text NOT NULL,
  text_body        text NOT NULL,
  html_body        text NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sending', 'sent', 'local', 'failed', 'in-doubt')),
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  message_id       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  claimed_at       timestamptz,
  sent_at          timestamptz
);
CREATE INDEX email_outbox_status_idx ON email_outbox (status, id);
CREATE INDEX email_outbox_case_idx ON email_outbox (case_id, step, rung);

-- Recipients are found by the organization a role is held at.
CREATE INDEX IF NOT EXISTS user_roles_org_idx ON user_roles (organization_id, role);

-- The escalation ladder per case type and step (rungs and their offsets in working days from the due
-- date); a step without a row uses the row with step '*' of its type, then the built-in default.
CREATE TABLE escalation_ladders (
  case_type  text NOT NULL CHECK (case_type IN ('admission', 'cell-establishment')),
  step       text NOT NULL,
  rungs      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_type, step)
);
