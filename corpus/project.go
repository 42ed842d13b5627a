package corpus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // zones by name, whatever the machine has installed

	"github.com/dialect-corpus/dialect/release"
)

// validate checks what the database cannot: the slug's form and the JSON
// overrides.
func (p *Project) validate() error {
	if !validSlug(p.Slug) {
		return fmt.Errorf("project slug %q: want [a-z0-9-]{1,64}", p.Slug)
	}
	if p.Name == "" {
		return errors.New("project name is empty")
	}
	if p.ConsentVersion < 0 {
		return fmt.Errorf("project consent version %d < 0", p.ConsentVersion)
	}
	if p.ReviewsRequired < 0 || p.ReviewsRequired > 3 {
		return fmt.Errorf("project reviews required %d: want 1-3", p.ReviewsRequired)
	}
	if err := p.Split.OrDefault().Validate(); err != nil {
		return fmt.Errorf("project %w", err)
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "Local" {
		return fmt.Errorf("project time zone %q: want an IANA name such as Asia/Taipei", p.TimeZone)
	}
	for name, raw := range map[string]json.RawMessage{"check_config": p.CheckConfig, "lint_config": p.LintConfig} {
		if len(raw) != 0 && !json.Valid(raw) {
			return fmt.Errorf("project %s is not valid JSON", name)
		}
	}
	return nil
}

func validSlug(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// CreateProject stores p, setting ID, CreatedAt and ConsentVersion (1 if 0).
// ErrConflict if the slug exists.
func (db *DB) CreateProject(ctx context.Context, p *Project) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error { return createProject(ctx, t, p) })
}

// Project returns the project with id.
func (db *DB) Project(ctx context.Context, id int64) (p *Project, err error) {
	err = db.readOne(ctx, func(t *tx) error {
		p, err = findProject(ctx, t, `WHERE id = ?`, id)
		return err
	})
	return p, err
}

// ProjectBySlug returns the project with slug.
func (db *DB) ProjectBySlug(ctx context.Context, slug string) (p *Project, err error) {
	err = db.view(ctx, func(t *tx) error {
		p, err = findProject(ctx, t, `WHERE slug = ?`, slug)
		return err
	})
	return p, err
}

// Projects lists all projects by id.
func (db *DB) Projects(ctx context.Context) (ps []*Project, err error) {
	err = db.view(ctx, func(t *tx) error {
		ps, err = findProjects(ctx, t, `ORDER BY id`)
		return err
	})
	return ps, err
}

const projectColumns = `id, slug, name, dialect, modes, band_quota, rate_cents_per_minute, currency,
	consent_text, consent_version, check_config, lint_config, created_at, reviews_required, license, terms, split, time_zone`

func createProject(ctx context.Context, t *tx, p *Project) error {
	if p.ConsentVersion == 0 {
		p.ConsentVersion = 1
	}
	if p.ReviewsRequired == 0 {
		p.ReviewsRequired = 1
	}
	modes, err := json.Marshal(p.Modes)
	if err != nil {
		return err
	}
	quota, err := json.Marshal(p.BandQuota)
	if err != nil {
		return err
	}
	split, err := splitJSON(p.Split)
	if err != nil {
		return err
	}
	res, err := t.ExecContext(ctx, `INSERT INTO projects (slug, name, dialect, modes, band_quota,
		rate_cents_per_minute, currency, consent_text, consent_version, check_config, lint_config, created_at,
		reviews_required, license, terms, split, time_zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Slug, p.Name, p.Dialect, string(modes), string(quota), p.RateCentsPerMinute, p.Currency,
		p.ConsentText, p.ConsentVersion, string(p.CheckConfig), string(p.LintConfig), nanos(t.now), p.ReviewsRequired,
		p.License, p.Terms, split, p.TimeZone)
	if err != nil {
		return mapErr(err)
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	p.CreatedAt = t.now
	return nil
}

func findProject(ctx context.Context, t *tx, where string, args ...any) (*Project, error) {
	return scanProject(t.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects `+where, args...))
}

func findProjects(ctx context.Context, t *tx, rest string, args ...any) ([]*Project, error) {
	rows, err := t.QueryContext(ctx, `SELECT `+projectColumns+` FROM projects `+rest, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	var ps []*Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, mapErr(rows.Err())
}

func scanProject(s scanner) (*Project, error) {
	var (
		p                    Project
		modes, quota         string
		checkConfig, lintCfg string
		created              int64
		split                string
	)
	if err := s.Scan(&p.ID, &p.Slug, &p.Name, &p.Dialect, &modes, &quota, &p.RateCentsPerMinute,
		&p.Currency, &p.ConsentText, &p.ConsentVersion, &checkConfig, &lintCfg, &created, &p.ReviewsRequired,
		&p.License, &p.Terms, &split, &p.TimeZone); err != nil {
		return nil, mapErr(err)
	}
	var err error
	if p.Split, err = parseSplit(split); err != nil {
		return nil, fmt.Errorf("project %d split: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(modes), &p.Modes); err != nil {
		return nil, fmt.Errorf("project %d modes: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(quota), &p.BandQuota); err != nil {
		return nil, fmt.Errorf("project %d band quota: %w", p.ID, err)
	}
	if checkConfig != "" {
		p.CheckConfig = json.RawMessage(checkConfig)
	}
	if lintCfg != "" {
		p.LintConfig = json.RawMessage(lintCfg)
	}
	p.CreatedAt = fromNanos(created)
	return &p, nil
}

// splitJSON is a split setting as stored: "" for the default (no
// percentages and seed 0), else its JSON.
func splitJSON(c release.SplitConfig) (string, error) {
	if c == (release.SplitConfig{}) {
		return "", nil
	}
	b, err := json.Marshal(c)
	return string(b), err
}

// parseSplit reads a stored split setting ("" is the zero value, which
// release.SplitConfig.OrDefault makes 80/10/10).
func parseSplit(s string) (c release.SplitConfig, err error) {
	if s != "" {
		err = json.Unmarshal([]byte(s), &c)
	}
	return c, err
}

// Location is the project's time zone (TimeZone; UTC when unset or
// unknown): every time shown to people is in it, named.
func (p *Project) Location() *time.Location {
	if p == nil || p.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
