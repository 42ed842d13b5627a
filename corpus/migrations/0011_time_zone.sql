-- 0011_time_zone: every time shown to people is in the project's time zone,
-- named (issue #18). An IANA name ("Asia/Taipei"); '' means UTC. Projects of
-- a Taiwanese dialect (the demo's nan-TW, cmn-TW) made before this migration
-- showed UTC without saying so: they get Asia/Taipei.
ALTER TABLE projects ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
UPDATE projects SET time_zone = 'Asia/Taipei' WHERE dialect LIKE '%-TW';
