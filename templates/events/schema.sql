-- events: append-heavy, distributed by device, time-ordered within a device
CREATE TABLE event_types (code text PRIMARY KEY, description text NOT NULL);
CREATE TABLE devices (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, label text NOT NULL);
CREATE TABLE events (device_id bigint NOT NULL, occurred_at timestamptz NOT NULL, id bigint NOT NULL,
                     type_code text NOT NULL, payload jsonb NOT NULL DEFAULT '{}',
                     PRIMARY KEY (device_id, occurred_at, id));
CREATE INDEX events_time ON events USING brin (occurred_at);
