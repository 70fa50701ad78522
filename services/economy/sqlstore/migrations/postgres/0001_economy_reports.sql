-- Every version of every enterprise report (services/kit/temporal). The
-- key is `{uscc}/reports/{period}`, the resource name without its leading
-- `enterprises/`; the full report is the JSON document in doc, and the
-- columns after it are copies of the fields that filters, ordering, keyset
-- pagination and totals need, taken from doc by the store on every insert.
-- Figures are decimal strings, summed exactly by the domain, never by SQL;
-- revenue_order is revenue in hundredths, zero-padded to 21 digits, so that
-- text order is numeric order on both dialects. Rows are never changed
-- except to close them in record time (known_to, seq_to).
CREATE TABLE economy_reports (
    report_key            TEXT NOT NULL,
    version               BIGINT NOT NULL,
    valid_from            TEXT NOT NULL,
    valid_to              TEXT NOT NULL,
    known_from            TEXT NOT NULL,
    known_to              TEXT NOT NULL,
    seq_from              BIGINT NOT NULL,
    seq_to                BIGINT NOT NULL,
    action                TEXT NOT NULL,
    deleted               BIGINT NOT NULL,
    doc                   TEXT NOT NULL,
    uscc                  TEXT NOT NULL,
    period                TEXT NOT NULL,
    period_type           TEXT NOT NULL,
    industry_code         TEXT NOT NULL,
    division_code         TEXT NOT NULL,
    above_designated_size BOOLEAN NOT NULL,
    employees             BIGINT NOT NULL,
    output_value          TEXT NOT NULL,
    revenue               TEXT NOT NULL,
    revenue_order         TEXT NOT NULL,
    profit                TEXT NOT NULL,
    taxes_paid            TEXT NOT NULL,
    energy_consumption    TEXT NOT NULL,
    rd_spending           TEXT NOT NULL,
    update_time           TEXT NOT NULL,
    PRIMARY KEY (report_key, version)
);
-- The current rows (valid now, known now) are what List and totals read by
-- default; partial indexes keep those reads as fast as a table without
-- history.
CREATE INDEX economy_reports_current ON economy_reports (report_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX economy_reports_uscc ON economy_reports (uscc, report_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX economy_reports_period ON economy_reports (period_type, period, report_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX economy_reports_period_order ON economy_reports (period, report_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX economy_reports_industry ON economy_reports (industry_code, report_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX economy_reports_division ON economy_reports (division_code, report_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX economy_reports_revenue ON economy_reports (revenue_order, report_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX economy_reports_updated ON economy_reports (update_time, report_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
