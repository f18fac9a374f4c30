-- Up Migration

-- Delivery moves out of the escalation activity into the outbox relay (infra/outbox-relay.ts): an activity
-- stores its messages `pending` and returns; the relay of each worker claims due rows (SKIP LOCKED), sends
-- them over the pooled SMTP transport and records the outcome. A transient failure sets the row back to
-- `pending` with its next attempt after a growing delay; an escalation whose step was signed (or whose case
-- closed) before it could go becomes `obsolete` instead of being sent late.
ALTER TABLE email_outbox ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_status_check;
ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_status_check
  CHECK (status IN ('pending', 'sending', 'sent', 'local', 'failed', 'in-doubt', 'obsolete'));
-- The relay's claim: the due pending rows, oldest due first.
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at, id) WHERE status = 'pending';
