-- Up Migration

-- Targets (chỉ tiêu) per organization, year and kind: an absolute number, or a rate (percent) of the
-- membership at the start of the year (`base_members`, recorded with the target).
CREATE TABLE targets (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  year             integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  kind             text NOT NULL CHECK (kind IN ('admissions', 'organizations')),
  mode             text NOT NULL CHECK (mode IN ('absolute', 'rate')),
  value            numeric(10, 2) NOT NULL CHECK (value >= 0),
  base_members     integer CHECK (base_members >= 0),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  updated_by       uuid,
  PRIMARY KEY (organization_id, year, kind),
  CHECK (mode = 'absolute' OR base_members IS NOT NULL)
);

-- Counter tables, written by the read-model activity in the same transaction as the event that changes
-- them (so they are exact), and recomputed from case_events by `npm run counters:check`.
--
-- Counted events by organization and day (the day the event bears: a decision's issue date, a ceremony's
-- date), e.g. 'admission-decision', 'establishment-decision'. Reports sum days of a period.
CREATE TABLE report_counts (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  kind             text NOT NULL,
  day              date NOT NULL,
  n                integer NOT NULL,
  PRIMARY KEY (organization_id, kind, day)
);
-- Open cases by organization, type and current step (the funnel).
CREATE TABLE pipeline_counts (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  type             text NOT NULL,
  step             text NOT NULL,
  n                integer NOT NULL,
  PRIMARY KEY (organization_id, type, step)
);
-- Open cases by organization, type, step and due date of the current step (overdue = due before a day).
CREATE TABLE due_counts (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  type             text NOT NULL,
  step             text NOT NULL,
  due_on           date NOT NULL,
  n                integer NOT NULL,
  PRIMARY KEY (organization_id, type, step, due_on)
);

-- Accent-insensitive search on names: "Nguyen Van An" finds "Nguyễn Văn An". unaccent() is only STABLE
-- (its dictionary could change), so an IMMUTABLE wrapper naming the dictionary feeds a generated column.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE FUNCTION fold_name(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));
ALTER TABLE people ADD COLUMN search_name text GENERATED ALWAYS AS (fold_name(full_name)) STORED;
ALTER TABLE enterprises ADD COLUMN search_name text GENERATED ALWAYS AS (fold_name(name)) STORED;
CREATE INDEX people_search_idx ON people USING gin (search_name gin_trgm_ops);
CREATE INDEX enterprises_search_idx ON enterprises USING gin (search_name gin_trgm_ops);
CREATE INDEX cases_person_idx ON cases (person_id) WHERE person_id IS NOT NULL;
-- Keyset orders other than the opening time (ties broken by id; scanned either way).
CREATE INDEX cases_due_order_idx ON cases ((coalesce(current_step_due_on, 'infinity'::date)), id);
CREATE INDEX cases_updated_order_idx ON cases (updated_at, id);

-- Counters for what is already in the read model. Transfers move a case's later events to the new
-- organization: the organization at an event is the last transfer before it, else the opening one.
WITH ev AS (
  SELECT e.case_id, e.seq, e.kind, e.step, e.data, c.type,
         coalesce((SELECT (t.data ->> 'to')::uuid FROM case_events t
                    WHERE t.case_id = e.case_id AND t.kind = 'case-noted' AND t.data ->> 'note' = 'transfer' AND t.seq < e.seq
                    ORDER BY t.seq DESC LIMIT 1),
                  (SELECT a.organization_id FROM audit_log a WHERE a.case_id = e.case_id AND a.action = 'case.opened' LIMIT 1),
                  c.organization_id) AS organization_id
    FROM case_events e JOIN cases c ON c.id = e.case_id
   WHERE e.kind = 'step-completed'
)
INSERT INTO report_counts (organization_id, kind, day, n)
SELECT organization_id, counted, day, count(*)
  FROM (SELECT organization_id,
               CASE WHEN type = 'admission' AND step = 'decision' AND data ->> 'outcome' = 'admitted' THEN 'admission-decision'
                    WHEN type = 'admission' AND step = 'ceremony' AND data ->> 'outcome' = 'held' THEN 'admission-ceremony'
                    WHEN type = 'admission' AND step = 'recognition-decision' AND data ->> 'outcome' = 'recognized' THEN 'recognition-decision'
                    WHEN type = 'cell-establishment' AND step = 'decision' AND data ->> 'outcome' = 'established' THEN 'establishment-decision'
                    WHEN type = 'cell-establishment' AND step = 'announcement' AND data ->> 'outcome' = 'announced' THEN 'establishment-announcement'
               END AS counted,
               (CASE WHEN step IN ('ceremony', 'announcement') THEN data ->> 'heldOn' ELSE data ->> 'issuedOn' END)::date AS day
          FROM ev) x
 WHERE counted IS NOT NULL AND day IS NOT NULL
 GROUP BY organization_id, counted, day;

INSERT INTO pipeline_counts (organization_id, type, step, n)
SELECT organization_id, type, current_step, count(*) FROM cases
 WHERE status = 'open' AND current_step IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO due_counts (organization_id, type, step, due_on, n)
SELECT organization_id, type, current_step, current_step_due_on, count(*) FROM cases
 WHERE status = 'open' AND current_step IS NOT NULL AND current_step_due_on IS NOT NULL GROUP BY 1, 2, 3, 4;
