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
-- them (so they are exact), and recounted from case_events by `npm run counters:check`. Every counter is a
-- subtree total: an event adds to its organization's row and to each organization above it, so a report
-- on any organization reads that organization's rows only — the same few rows at 10 thousand cases or at
-- 1 million. (An organization moving in the tree takes its totals from its old ancestors to its new ones.)
--
-- Each key carries its count (INCLUDE n): a report is an index-only scan once the pages are vacuumed.
-- Counted events by day and by month (the date the event bears: a decision's issue date, a ceremony's
-- date), e.g. 'admission-decision', 'establishment-decision'. Reports read whole months, and days only
-- at a period's ragged ends.
CREATE TABLE report_counts (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  kind             text NOT NULL,
  day              date NOT NULL,
  n                integer NOT NULL,
  PRIMARY KEY (organization_id, kind, day) INCLUDE (n)
);
CREATE TABLE report_months (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  kind             text NOT NULL,
  month            date NOT NULL CHECK (extract(day FROM month) = 1),
  n                integer NOT NULL,
  PRIMARY KEY (organization_id, kind, month) INCLUDE (n)
);
-- Open cases by type and current step (the funnel).
CREATE TABLE pipeline_counts (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  type             text NOT NULL,
  step             text NOT NULL,
  n                integer NOT NULL,
  PRIMARY KEY (organization_id, type, step) INCLUDE (n)
);
-- Open cases by type and due date of the current step (overdue = due before a day); `late`: the step is
-- one of the last before the counted event (the forecast).
CREATE TABLE due_counts (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  type             text NOT NULL,
  late             boolean NOT NULL,
  due_on           date NOT NULL,
  n                integer NOT NULL,
  -- Day first: "due before a day" is one index range, whatever the type.
  PRIMARY KEY (organization_id, due_on, type, late) INCLUDE (n)
);
-- The same by month of the due date: "due before a day" reads whole months and that day's month.
CREATE TABLE due_months (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  type             text NOT NULL,
  late             boolean NOT NULL,
  month            date NOT NULL CHECK (extract(day FROM month) = 1),
  n                integer NOT NULL,
  PRIMARY KEY (organization_id, month, type, late) INCLUDE (n)
);

-- The counters recomputed from case_events alone (the consistency check, and the backfill below). The
-- organization of an event is the last transfer before it, else the one the case opened in; totals go to
-- it and to every organization on its current path.
CREATE FUNCTION counter_recount() RETURNS TABLE (tbl text, organization_id uuid, k1 text, k2 text, k3 text, n integer)
  LANGUAGE sql STABLE
BEGIN ATOMIC
  WITH ev AS (
    SELECT e.case_id, e.seq, e.kind, e.step, e.data, c.type,
           coalesce((SELECT (t.data ->> 'to')::uuid FROM case_events t
                      WHERE t.case_id = e.case_id AND t.kind = 'case-noted' AND t.data ->> 'note' = 'transfer' AND t.seq < e.seq
                      ORDER BY t.seq DESC LIMIT 1),
                    (SELECT (o.data ->> 'organizationId')::uuid FROM case_events o WHERE o.case_id = e.case_id AND o.kind = 'case-opened'),
                    (SELECT a.organization_id FROM audit_log a WHERE a.case_id = e.case_id AND a.action = 'case.opened' ORDER BY a.id LIMIT 1),
                    -- Cases from before both: never transferred (a transfer is an event), so where they are now.
                    c.organization_id) AS org
      FROM case_events e JOIN cases c ON c.id = e.case_id
  ), facts AS (
    SELECT org,
           CASE WHEN type = 'admission' AND step = 'decision' AND data ->> 'outcome' = 'admitted' THEN 'admission-decision'
                WHEN type = 'admission' AND step = 'ceremony' AND data ->> 'outcome' = 'held' THEN 'admission-ceremony'
                WHEN type = 'admission' AND step = 'recognition-decision' AND data ->> 'outcome' = 'recognized' THEN 'recognition-decision'
                WHEN type = 'cell-establishment' AND step = 'decision' AND data ->> 'outcome' = 'established' THEN 'establishment-decision'
                WHEN type = 'cell-establishment' AND step = 'announcement' AND data ->> 'outcome' = 'announced' THEN 'establishment-announcement'
           END AS fact,
           CASE WHEN step IN ('ceremony', 'announcement') THEN data ->> 'heldOn' ELSE data ->> 'issuedOn' END AS day
      FROM ev WHERE kind = 'step-completed'
  ), last AS (
    -- Each open case's latest step, due date (a hold clears it) and organization.
    SELECT c.id, c.type,
           (SELECT e.step FROM case_events e WHERE e.case_id = c.id AND e.kind IN ('case-opened', 'step-entered', 'step-due-changed') ORDER BY e.seq DESC LIMIT 1) AS step,
           (SELECT CASE WHEN e.kind IN ('step-entered', 'step-due-changed') THEN (e.data ->> 'dueOn')::date END FROM case_events e
             WHERE e.case_id = c.id AND (e.kind IN ('case-opened', 'step-entered', 'step-due-changed') OR (e.kind = 'case-noted' AND e.data ->> 'note' = 'hold'))
             ORDER BY e.seq DESC LIMIT 1) AS due_on,
           coalesce((SELECT (t.data ->> 'to')::uuid FROM case_events t WHERE t.case_id = c.id AND t.kind = 'case-noted' AND t.data ->> 'note' = 'transfer' ORDER BY t.seq DESC LIMIT 1),
                    (SELECT (o.data ->> 'organizationId')::uuid FROM case_events o WHERE o.case_id = c.id AND o.kind = 'case-opened'),
                    (SELECT a.organization_id FROM audit_log a WHERE a.case_id = c.id AND a.action = 'case.opened' ORDER BY a.id LIMIT 1),
                    c.organization_id) AS org
      FROM cases c
     WHERE NOT EXISTS (SELECT 1 FROM case_events x WHERE x.case_id = c.id AND x.kind = 'case-closed')
  ), up AS (
    -- Each organization with itself and its ancestors.
    SELECT o.id, a.id AS anc FROM organizations o CROSS JOIN LATERAL unnest(o.path) AS a(id)
  )
  SELECT 'report_counts', up.anc, f.fact, f.day, NULL, count(*)::int FROM facts f JOIN up ON up.id = f.org
   WHERE f.fact IS NOT NULL AND f.day ~ '^\d{4}-\d{2}-\d{2}$' GROUP BY 2, 3, 4
  UNION ALL
  SELECT 'report_months', up.anc, f.fact, left(f.day, 7) || '-01', NULL, count(*)::int FROM facts f JOIN up ON up.id = f.org
   WHERE f.fact IS NOT NULL AND f.day ~ '^\d{4}-\d{2}-\d{2}$' GROUP BY 2, 3, 4
  UNION ALL
  SELECT 'pipeline_counts', up.anc, l.type, l.step, NULL, count(*)::int FROM last l JOIN up ON up.id = l.org
   WHERE l.step IS NOT NULL GROUP BY 2, 3, 4
  UNION ALL
  SELECT 'due_counts', up.anc, l.type,
         (l.type = 'admission' AND l.step IN ('partial-appraisal', 'committee-vote', 'decision')
          OR l.type = 'cell-establishment' AND l.step IN ('proposal', 'decision'))::text,
         l.due_on::text, count(*)::int FROM last l JOIN up ON up.id = l.org
   WHERE l.step IS NOT NULL AND l.due_on IS NOT NULL GROUP BY 2, 3, 4, 5
  UNION ALL
  SELECT 'due_months', up.anc, l.type,
         (l.type = 'admission' AND l.step IN ('partial-appraisal', 'committee-vote', 'decision')
          OR l.type = 'cell-establishment' AND l.step IN ('proposal', 'decision'))::text,
         date_trunc('month', l.due_on)::date::text, count(*)::int FROM last l JOIN up ON up.id = l.org
   WHERE l.step IS NOT NULL AND l.due_on IS NOT NULL GROUP BY 2, 3, 4, 5;
END;

-- Counters for what is already in the read model.
CREATE TEMP TABLE recount AS SELECT * FROM counter_recount(); -- once, for the five tables
INSERT INTO report_counts (organization_id, kind, day, n) SELECT organization_id, k1, k2::date, n FROM recount WHERE tbl = 'report_counts';
INSERT INTO report_months (organization_id, kind, month, n) SELECT organization_id, k1, k2::date, n FROM recount WHERE tbl = 'report_months';
INSERT INTO pipeline_counts (organization_id, type, step, n) SELECT organization_id, k1, k2, n FROM recount WHERE tbl = 'pipeline_counts';
INSERT INTO due_counts (organization_id, type, late, due_on, n) SELECT organization_id, k1, k2::boolean, k3::date, n FROM recount WHERE tbl = 'due_counts';
INSERT INTO due_months (organization_id, type, late, month, n) SELECT organization_id, k1, k2::boolean, k3::date, n FROM recount WHERE tbl = 'due_months';
DROP TABLE recount;

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
