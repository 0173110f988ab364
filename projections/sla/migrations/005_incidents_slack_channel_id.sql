-- 005_incidents_slack_channel_id.sql — the Slack id of an incident's
-- channel, so that `/esc` typed in a channel finds its incident (a slash
-- command names the channel by id; names can be renamed). Filled from the
-- ChannelCreated events already projected.
ALTER TABLE incidents ADD COLUMN slack_channel_id text;
UPDATE incidents i SET slack_channel_id = e.payload->>'slack_channel_id'
  FROM events e
 WHERE e.incident_id = i.incident_id AND e.type = 'ChannelCreated';
CREATE INDEX incidents_slack_channel_idx ON incidents (slack_channel_id)
 WHERE slack_channel_id IS NOT NULL;
