SELECT shale.make_reference_table('event_types');
SELECT shale.distribute_table('devices', 'id', 8);
SELECT shale.distribute_table('events', 'device_id', 8, 'devices');
