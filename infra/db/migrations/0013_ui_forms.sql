-- Up Migration

-- Each form the staff UI renders carries a one-time id; a submission claims it here first, so a form sent
-- twice (a double click, a resent POST after a timeout) is carried out once. A failed attempt releases it.
CREATE TABLE ui_form_submissions (
  form_id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  case_id uuid,
  -- false while the first submission runs (or when its outcome is unknown); true once it was carried out.
  done boolean NOT NULL DEFAULT false,
  submitted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ui_form_submissions_age_idx ON ui_form_submissions (submitted_at);
