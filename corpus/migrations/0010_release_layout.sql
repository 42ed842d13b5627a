-- 0010_release_layout: archives that research tools load as they are
-- (issue 10): one top folder, train/dev/test splits by speaker, the current
-- Common Voice schema, a licence in the datasheet.
--
-- projects: the licence and terms of use a release's datasheet states
-- ('' = not set: the datasheet says so), and how speakers are split, as JSON
-- {"seed": 0, "train": 80, "dev": 10, "test": 10} ('' = that default).
ALTER TABLE projects ADD COLUMN license TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN terms   TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN split   TEXT NOT NULL DEFAULT '';

-- releases: the archive layout a release is built in, and what its archive
-- takes from the project, frozen when the release is made. Every release
-- made before this migration keeps layout 1 (files at the top of the
-- archive, no splits), so its archives keep their bytes whenever they are
-- built; releases made from now on get the layout CreateRelease writes.
-- ADD COLUMN fires no trigger: published rows are not updated, only given
-- these defaults.
ALTER TABLE releases ADD COLUMN layout       INTEGER NOT NULL DEFAULT 1;
ALTER TABLE releases ADD COLUMN project_slug TEXT    NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN license      TEXT    NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN terms        TEXT    NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN split        TEXT    NOT NULL DEFAULT '';
