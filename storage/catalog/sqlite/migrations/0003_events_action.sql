-- 0003: events by action and time, for the dashboard's pages per hour
-- (the "index" event of each finished record over the last 24 hours).
CREATE INDEX events_action_at ON events (action, at);
