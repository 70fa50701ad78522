-- Subscriptions to registry change feeds, with the lease a delivery worker
-- holds while it works one, and their deliveries. Times are
-- store.TimeLayout text, '' when unset, so that text order is time order
-- and '' sorts before every time.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    department TEXT NOT NULL,
    registry TEXT NOT NULL,
    records TEXT NOT NULL,
    callback_uri TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT '',
    case_reference TEXT NOT NULL DEFAULT '',
    end_time TEXT NOT NULL,
    start_kind TEXT NOT NULL,
    start_sequence INTEGER NOT NULL,
    state TEXT NOT NULL,
    delivered_sequence INTEGER NOT NULL,
    parked_reason TEXT NOT NULL,
    next_attempt_time TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    create_time TEXT NOT NULL,
    update_time TEXT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until TEXT NOT NULL DEFAULT ''
);
CREATE INDEX subscriptions_department ON subscriptions (department, id);
CREATE INDEX subscriptions_due ON subscriptions (state, next_attempt_time);

CREATE TABLE subscription_deliveries (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    sequence INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_status_code INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    last_attempt_time TEXT NOT NULL,
    next_attempt_time TEXT NOT NULL,
    delivered_time TEXT NOT NULL,
    PRIMARY KEY (subscription_id, sequence)
);
