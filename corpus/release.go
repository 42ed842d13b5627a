package corpus

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/dialect-corpus/dialect/release"
)

// ReleaseStatus is where a release stands.
type ReleaseStatus string

// Release statuses. Only published releases are visible; a published
// release never changes (triggers in 0004_release.sql refuse it).
const (
	ReleaseBuilding  ReleaseStatus = "building"
	ReleasePublished ReleaseStatus = "published"
)

// Release is a frozen set of accepted clips of one project.
type Release struct {
	ID        int64         `json:"id"`
	ProjectID int64         `json:"project_id"`
	Number    int           `json:"number"` // 1, 2, … within the project
	Status    ReleaseStatus `json:"status"`
	Clips     int           `json:"clips"`
	Speakers  int           `json:"speakers"`
	DurationS float64       `json:"duration_s"`
	Hours     float64       `json:"hours"`
	// ConsentVersion is the project's consent version when the release was
	// made; every speaker in it had accepted that version or a later one.
	ConsentVersion int `json:"consent_version"`
	// ManifestSHA256 is the hex SHA-256 of the clip list: one line
	// "<clip id> <speaker> <sha256> <bytes>\n" per clip, by clip id.
	ManifestSHA256 string `json:"manifest_sha256"`
	ProjectName    string `json:"project_name"`
	Dialect        string `json:"dialect"`
	// Validation is the JSON of the thresholds in force (for the datasheet).
	Validation  json.RawMessage `json:"-"`
	CreatedAt   time.Time       `json:"created_at"`
	PublishedAt *time.Time      `json:"published_at,omitempty"`
	// Layout is the archive layout the release is built in
	// (release.LayoutFlat for releases made before migration 0010,
	// release.CurrentLayout for those made since): frozen, so an archive
	// built by newer code has the bytes of the first build.
	Layout int `json:"layout"`
	// ProjectSlug, License, Terms and Split are the project's, frozen with
	// the release (the archive's top folder, datasheet and splits).
	ProjectSlug string              `json:"project_slug"`
	License     string              `json:"license"`
	Terms       string              `json:"-"`
	Split       release.SplitConfig `json:"split"`
}

// ReleaseOptions are what the caller knows of how clips were checked.
type ReleaseOptions struct {
	// CheckConfig and LintConfig are the validate.Config and
	// transcript.Config in force (JSON); the project's overrides are added
	// from the project row.
	CheckConfig json.RawMessage
	LintConfig  json.RawMessage
}

// ReleaseClip is one clip of a release, as frozen when the release was made.
type ReleaseClip struct {
	ClipID        string  `json:"clip_id"`
	Speaker       string  `json:"speaker"` // pseudonymous id
	SHA256        string  `json:"sha256"`
	Bytes         int64   `json:"bytes"`
	DurationS     float64 `json:"duration_s"`
	SampleRate    int     `json:"sample_rate"`
	Channels      int     `json:"channels"`
	Bits          int     `json:"bits"`
	Mode          string  `json:"mode"`
	NoiseBand     string  `json:"noise_band"`
	Transcript    string  `json:"transcript"`
	DialectRegion string  `json:"dialect_region"`
	AgeBand       string  `json:"age_band"`
	Gender        string  `json:"gender"`
	// TranscriptionID is the transcription whose segments the release
	// carries (0: none): the newest applied one whose text was the clip's
	// transcript when the clip was frozen (0006_release_segments.sql).
	TranscriptionID int64 `json:"-"`
}

// ErrEmptyRelease: the project has no accepted clip from a consenting
// speaker; it wraps ErrInvalid.
var ErrEmptyRelease = fmt.Errorf("%w: no accepted clips from speakers with current consent", ErrInvalid)

// releaseBatch is how many clips one write transaction of CreateRelease
// copies: each stays a few milliseconds, so uploads never wait long
// (reliability.md C1).
var releaseBatch = 500

// releaseLayout is the archive layout CreateRelease gives a new release (a
// variable only so tests can make a release of an older layout).
var releaseLayout = release.CurrentLayout

// staleBuild is how old a 'building' release must be before CreateRelease
// takes it for the leftover of a crash and removes it.
const staleBuild = 10 * time.Minute

// releaseLocks serialises release creation per corpus within a process.
var releaseLocks sync.Map // *DB → *sync.Mutex

func (db *DB) releaseLock() *sync.Mutex {
	m, _ := releaseLocks.LoadOrStore(db, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// CreateRelease freezes the project's accepted clips whose speakers have
// consented to the current consent version (a speaker whose consent is 0 or
// older is left out) into a new published release, numbered after the
// project's last. The clips and what the archive says of them are copied in
// batches of short write transactions while the release is 'building' and
// invisible; then the manifest hash is computed, paging with short reads,
// and the release is published in one last transaction. ErrEmptyRelease if
// no clip qualifies; ErrNotFound if the project does not exist.
func (db *DB) CreateRelease(ctx context.Context, projectID int64, opts ReleaseOptions) (*Release, error) {
	ctx = context.WithoutCancel(ctx)
	mu := db.releaseLock()
	mu.Lock()
	defer mu.Unlock()

	var (
		r   *Release
		key []byte
	)
	err := db.update(ctx, func(ctx context.Context, t *tx) error {
		p, err := findProject(ctx, t, `WHERE id = ?`, projectID)
		if err != nil {
			return err
		}
		if key, err = projectSecret(ctx, t, p.ID); err != nil {
			return err
		}
		if err := dropStaleBuilds(ctx, t, p.ID); err != nil {
			return err
		}
		val, err := json.Marshal(map[string]json.RawMessage{
			"check": rawOrNull(opts.CheckConfig), "check_overrides": rawOrNull(p.CheckConfig),
			"lint": rawOrNull(opts.LintConfig), "lint_overrides": rawOrNull(p.LintConfig)})
		if err != nil {
			return err
		}
		r = &Release{ProjectID: p.ID, Status: ReleaseBuilding, ConsentVersion: p.ConsentVersion,
			ProjectName: p.Name, Dialect: p.Dialect, Validation: val, CreatedAt: t.now, Layout: releaseLayout,
			ProjectSlug: p.Slug, License: p.License, Terms: p.Terms, Split: p.Split.OrDefault()}
		split, err := splitJSON(r.Split)
		if err != nil {
			return err
		}
		if err := t.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM releases WHERE project_id = ?`, p.ID).Scan(&r.Number); err != nil {
			return mapErr(err)
		}
		res, err := t.ExecContext(ctx, `INSERT INTO releases (project_id, number, status, consent_version, project_name,
			dialect, validation, created_at, layout, project_slug, license, terms, split)
			VALUES (?, ?, 'building', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ProjectID, r.Number, r.ConsentVersion, r.ProjectName, r.Dialect, string(val), nanos(r.CreatedAt),
			r.Layout, r.ProjectSlug, r.License, r.Terms, split)
		if err != nil {
			return mapErr(err)
		}
		r.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create release: %w", err)
	}
	if err := db.copyReleaseClips(ctx, r, key); err != nil {
		return nil, fmt.Errorf("create release: %w", err)
	}
	if err := db.publishRelease(ctx, r); err != nil {
		if errors.Is(err, ErrEmptyRelease) {
			_ = db.update(ctx, func(ctx context.Context, t *tx) error { return dropBuild(ctx, t, r.ID) })
		}
		return nil, fmt.Errorf("create release: %w", err)
	}
	return r, nil
}

func rawOrNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || !json.Valid(b) {
		return json.RawMessage("null")
	}
	return b
}

// projectSecret returns the project's pseudonym key, making it on first use.
func projectSecret(ctx context.Context, t *tx, projectID int64) ([]byte, error) {
	var key []byte
	err := t.QueryRowContext(ctx, `SELECT speaker_key FROM project_secrets WHERE project_id = ?`, projectID).Scan(&key)
	if err == nil {
		return key, nil
	}
	if err = mapErr(err); !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	key = make([]byte, 32)
	_, _ = rand.Read(key)
	_, err = t.ExecContext(ctx, `INSERT INTO project_secrets (project_id, speaker_key, created_at) VALUES (?, ?, ?)`,
		projectID, key, nanos(t.now))
	return key, mapErr(err)
}

// Pseudonym is a speaker's id in a project's releases: "s" and the first 64
// bits, in hex, of HMAC-SHA-256(project key, decimal user id). Stable across
// the project's releases; without the key, not linkable to the user id or
// across projects.
func pseudonym(key []byte, userID int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(userID, 10)))
	return "s" + hex.EncodeToString(m.Sum(nil)[:8])
}

// dropStaleBuilds removes releases left 'building' by a crash.
func dropStaleBuilds(ctx context.Context, t *tx, projectID int64) error {
	rows, err := t.QueryContext(ctx, `SELECT id FROM releases WHERE project_id = ? AND status = 'building' AND created_at < ?`,
		projectID, nanos(t.now.Add(-staleBuild)))
	if err != nil {
		return mapErr(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close() // a read; the Scan error is the one to report
			return mapErr(err)
		}
		ids = append(ids, id)
	}
	_ = rows.Close() // a read: rows.Err() is returned below
	for _, id := range ids {
		if err := dropBuild(ctx, t, id); err != nil {
			return err
		}
	}
	return mapErr(rows.Err())
}

func dropBuild(ctx context.Context, t *tx, id int64) error {
	if _, err := t.ExecContext(ctx, `DELETE FROM release_clips WHERE release_id = ?`, id); err != nil {
		return mapErr(err)
	}
	_, err := t.ExecContext(ctx, `DELETE FROM releases WHERE id = ? AND status = 'building'`, id)
	return mapErr(err)
}

// copyReleaseClips copies the qualifying clips into the building release,
// releaseBatch clips per write transaction, in clip id order.
func (db *DB) copyReleaseClips(ctx context.Context, r *Release, key []byte) error {
	names := map[int64]string{}
	after := ""
	for {
		n := 0
		err := db.update(ctx, func(ctx context.Context, t *tx) error {
			// The transcription is read in the transaction that reads the
			// transcript, so the segments frozen agree with it.
			rows, err := t.QueryContext(ctx, `SELECT c.id, c.speaker_id, c.sha256, c.bytes, c.duration_s, c.sample_rate,
				c.channels, c.bits, c.mode, c.noise_band, c.transcript, u.dialect_region, u.age_band, u.gender,
				(SELECT COALESCE(MAX(tr.id), 0) FROM transcriptions tr
				  WHERE tr.clip_id = c.id AND tr.applied = 1 AND tr.text = c.transcript)
				FROM clips c JOIN users u ON u.id = c.speaker_id
				WHERE c.project_id = ? AND c.status = 'accepted' AND c.id > ?
				  AND u.consent_version >= ? AND u.consent_version > 0
				ORDER BY c.id LIMIT ?`, r.ProjectID, after, r.ConsentVersion, releaseBatch)
			if err != nil {
				return mapErr(err)
			}
			var batch []ReleaseClip
			var speakers []int64
			for rows.Next() {
				var c ReleaseClip
				var speaker int64
				if err := rows.Scan(&c.ClipID, &speaker, &c.SHA256, &c.Bytes, &c.DurationS, &c.SampleRate, &c.Channels,
					&c.Bits, &c.Mode, &c.NoiseBand, &c.Transcript, &c.DialectRegion, &c.AgeBand, &c.Gender, &c.TranscriptionID); err != nil {
					_ = rows.Close() // a read; the Scan error is the one to report
					return mapErr(err)
				}
				batch, speakers = append(batch, c), append(speakers, speaker)
			}
			_ = rows.Close() // a read: rows.Err() is checked next
			if err := rows.Err(); err != nil {
				return mapErr(err)
			}
			for i := range batch {
				c := &batch[i]
				name, ok := names[speakers[i]]
				if !ok {
					name = pseudonym(key, speakers[i])
					names[speakers[i]] = name
				}
				if _, err := t.ExecContext(ctx, `INSERT INTO release_clips (release_id, clip_id, speaker, sha256, bytes,
					duration_s, sample_rate, channels, bits, mode, noise_band, transcript, dialect_region, age_band, gender,
					transcription_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					r.ID, c.ClipID, name, c.SHA256, c.Bytes, c.DurationS, c.SampleRate, c.Channels, c.Bits, c.Mode,
					c.NoiseBand, c.Transcript, c.DialectRegion, c.AgeBand, c.Gender, nullInt64(c.TranscriptionID)); err != nil {
					return mapErr(err)
				}
				after = c.ClipID
			}
			n = len(batch)
			return nil
		})
		if err != nil {
			return err
		}
		if n < releaseBatch {
			return nil
		}
	}
}

// publishRelease computes the manifest hash and totals, paging through the
// release's clips with short reads, then publishes the release.
func (db *DB) publishRelease(ctx context.Context, r *Release) error {
	h := sha256.New()
	speakers := map[string]bool{}
	r.Clips, r.DurationS = 0, 0
	err := db.eachReleaseClip(ctx, r.ID, func(c *ReleaseClip) error {
		_, _ = fmt.Fprintf(h, "%s %s %s %d\n", c.ClipID, c.Speaker, c.SHA256, c.Bytes) // a hash.Hash never returns a write error
		speakers[c.Speaker] = true
		r.Clips++
		r.DurationS += c.DurationS
		return nil
	})
	if err != nil {
		return err
	}
	if r.Clips == 0 {
		return ErrEmptyRelease
	}
	r.Speakers = len(speakers)
	r.Hours = r.DurationS / 3600
	r.ManifestSHA256 = hex.EncodeToString(h.Sum(nil))
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		r.Status = ReleasePublished
		now := t.now
		r.PublishedAt = &now
		return notFound(t.ExecContext(ctx, `UPDATE releases SET status = 'published', clips = ?, speakers = ?, duration_s = ?,
			manifest_sha256 = ?, published_at = ? WHERE id = ? AND status = 'building'`,
			r.Clips, r.Speakers, r.DurationS, r.ManifestSHA256, nanos(now), r.ID))
	})
}

// Release returns a published release.
func (db *DB) Release(ctx context.Context, id int64) (r *Release, err error) {
	err = db.view(ctx, func(t *tx) error {
		r, err = scanRelease(t.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = ? AND status = 'published'`, id))
		return err
	})
	return r, err
}

// Releases lists the published releases of a project (0: of every
// project), newest first.
func (db *DB) Releases(ctx context.Context, projectID int64) (rs []*Release, err error) {
	q := `SELECT ` + releaseColumns + ` FROM releases WHERE status = 'published'`
	var args []any
	if projectID != 0 {
		q += ` AND project_id = ?`
		args = append(args, projectID)
	}
	q += ` ORDER BY id DESC`
	err = db.view(ctx, func(t *tx) error {
		rows, err := t.QueryContext(ctx, q, args...)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
		for rows.Next() {
			r, err := scanRelease(rows)
			if err != nil {
				return err
			}
			rs = append(rs, r)
		}
		return mapErr(rows.Err())
	})
	return rs, err
}

// ReleaseClips returns up to limit clips of a release with clip ids after
// after, in clip id order: a page, read in one short transaction.
func (db *DB) ReleaseClips(ctx context.Context, releaseID int64, after string, limit int) (cs []ReleaseClip, err error) {
	limit = min(max(limit, 1), 5000)
	err = db.view(ctx, func(t *tx) error {
		rows, err := t.QueryContext(ctx, `SELECT clip_id, speaker, sha256, bytes, duration_s, sample_rate, channels, bits,
			mode, noise_band, transcript, dialect_region, age_band, gender, COALESCE(transcription_id, 0) FROM release_clips
			WHERE release_id = ? AND clip_id > ? ORDER BY clip_id LIMIT ?`, releaseID, after, limit)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
		for rows.Next() {
			var c ReleaseClip
			if err := rows.Scan(&c.ClipID, &c.Speaker, &c.SHA256, &c.Bytes, &c.DurationS, &c.SampleRate, &c.Channels,
				&c.Bits, &c.Mode, &c.NoiseBand, &c.Transcript, &c.DialectRegion, &c.AgeBand, &c.Gender, &c.TranscriptionID); err != nil {
				return mapErr(err)
			}
			cs = append(cs, c)
		}
		return mapErr(rows.Err())
	})
	return cs, err
}

// releasePage is how many clips one read transaction of eachReleaseClip
// returns (a variable only so tests can page small).
var releasePage = 1000

// eachReleaseClip calls fn for every clip of a release, a page per read
// transaction: never one transaction across the whole release (F-14).
func (db *DB) eachReleaseClip(ctx context.Context, releaseID int64, fn func(*ReleaseClip) error) error {
	after := ""
	for {
		page, err := db.ReleaseClips(ctx, releaseID, after, releasePage)
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < releasePage {
			return nil
		}
		after = page[len(page)-1].ClipID
	}
}

const releaseColumns = `id, project_id, number, status, clips, speakers, duration_s, consent_version, manifest_sha256,
	project_name, dialect, validation, created_at, published_at, layout, project_slug, license, terms, split`

func scanRelease(s scanner) (*Release, error) {
	var (
		r         Release
		status    string
		val       string
		created   int64
		published nullInt
		split     string
	)
	if err := s.Scan(&r.ID, &r.ProjectID, &r.Number, &status, &r.Clips, &r.Speakers, &r.DurationS, &r.ConsentVersion,
		&r.ManifestSHA256, &r.ProjectName, &r.Dialect, &val, &created, &published, &r.Layout, &r.ProjectSlug, &r.License,
		&r.Terms, &split); err != nil {
		return nil, mapErr(err)
	}
	var err error
	if r.Split, err = parseSplit(split); err != nil {
		return nil, fmt.Errorf("release %d split: %w", r.ID, err)
	}
	r.Status = ReleaseStatus(status)
	r.Hours = r.DurationS / 3600
	if val != "" {
		r.Validation = json.RawMessage(val)
	}
	r.CreatedAt = fromNanos(created)
	r.PublishedAt = fromNullNanos(published)
	return &r, nil
}

// Download is one logged archive download.
type Download struct {
	ReleaseID  int64
	Format     string
	TokenID    int64 // the vendor token, or 0
	UserID     int64 // the signed-in user, or 0
	Vendor     string
	Range      string // the Range header, if any
	RemoteAddr string
}

// LogDownload appends a download to the log.
func (db *DB) LogDownload(ctx context.Context, d *Download) error {
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO release_downloads (release_id, format, token_id, user_id, vendor,
			range_spec, remote_addr, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ReleaseID, d.Format, nullInt64(d.TokenID), nullInt64(d.UserID), d.Vendor, truncate(d.Range, 256),
			truncate(d.RemoteAddr, 128), nanos(t.now))
		return mapErr(err)
	})
}

// Downloads counts the logged downloads of a release.
func (db *DB) Downloads(ctx context.Context, releaseID int64) (n int, err error) {
	err = db.view(ctx, func(t *tx) error {
		return mapErr(t.QueryRowContext(ctx, `SELECT COUNT(*) FROM release_downloads WHERE release_id = ?`, releaseID).Scan(&n))
	})
	return n, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
