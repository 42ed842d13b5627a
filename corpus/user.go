package corpus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validate checks the username's form and the role.
func (u *User) validate() error {
	if n := utf8.RuneCountInString(u.Username); n < 1 || n > 64 || !utf8.ValidString(u.Username) {
		return fmt.Errorf("username %q: want 1-64 characters of valid UTF-8", u.Username)
	}
	for _, r := range u.Username {
		if unicode.IsControl(r) {
			return fmt.Errorf("username %q has a control character", u.Username)
		}
	}
	switch u.Role {
	case RoleSpeaker, RoleReviewer, RoleVendor, RoleAdmin:
	default:
		return fmt.Errorf("unknown role %q", u.Role)
	}
	if u.ConsentVersion < 0 {
		return errors.New("consent version < 0")
	}
	return nil
}

// foldUsername maps each rune to the smallest rune of its case-folding orbit,
// so two usernames get the same key exactly when strings.EqualFold holds
// (NOCASE folds only ASCII).
func foldUsername(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}

// CreateUser stores u, setting ID and CreatedAt. ErrConflict if the
// username exists (case-insensitively).
func (db *DB) CreateUser(ctx context.Context, u *User) error {
	if err := u.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error { return createUser(ctx, t, u) })
}

// User returns the user with id.
func (db *DB) User(ctx context.Context, id int64) (u *User, err error) {
	err = db.readOne(ctx, func(t *tx) error {
		u, err = findUser(ctx, t, `WHERE id = ?`, id)
		return err
	})
	return u, err
}

// UserByUsername returns the user with that username (case-insensitive).
func (db *DB) UserByUsername(ctx context.Context, username string) (u *User, err error) {
	err = db.view(ctx, func(t *tx) error {
		u, err = findUser(ctx, t, `WHERE username_fold = ?`, foldUsername(username))
		return err
	})
	return u, err
}

// Users lists the users of a project (0: all), by id.
func (db *DB) Users(ctx context.Context, projectID int64) (us []*User, err error) {
	err = db.view(ctx, func(t *tx) error {
		if projectID == 0 {
			us, err = findUsers(ctx, t, `ORDER BY id`)
		} else {
			us, err = findUsers(ctx, t, `WHERE project_id = ? ORDER BY id`, projectID)
		}
		return err
	})
	return us, err
}

// UpdateProfile sets a speaker's dialect region, age band and gender, and
// moves the speaker's clips to the new values in the counters the quotas
// read (tally.go), in the same transaction.
func (db *DB) UpdateProfile(ctx context.Context, userID int64, region, ageBand, gender string) error {
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		var old profile
		if err := t.QueryRowContext(ctx, `SELECT dialect_region, gender, age_band FROM users WHERE id = ?`, userID).
			Scan(&old.region, &old.gender, &old.age); err != nil {
			return mapErr(err)
		}
		if err := notFound(t.ExecContext(ctx, `UPDATE users SET dialect_region = ?, age_band = ?, gender = ? WHERE id = ?`,
			region, ageBand, gender, userID)); err != nil {
			return err
		}
		return moveProfileTallies(ctx, t, userID, old, profile{region: region, gender: gender, age: ageBand})
	})
}

// RecordConsent records that the user accepted consent text version v now.
func (db *DB) RecordConsent(ctx context.Context, userID int64, version int) error {
	if version < 1 {
		return fmt.Errorf("consent version %d < 1", version)
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		return notFound(t.ExecContext(ctx, `UPDATE users SET consent_version = ?, consent_at = ? WHERE id = ?`,
			version, nanos(t.now), userID))
	})
}

// SetPassword replaces the password hash and deletes all the user's
// sessions in the same transaction.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		if err := notFound(t.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)); err != nil {
			return err
		}
		return deleteUserSessions(ctx, t, userID)
	})
}

// SetDisabled disables or enables an account; disabling deletes its sessions.
func (db *DB) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		if err := notFound(t.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, userID)); err != nil {
			return err
		}
		if !disabled {
			return nil
		}
		return deleteUserSessions(ctx, t, userID)
	})
}

const userColumns = `id, username, role, project_id, password_hash, disabled, dialect_region, age_band,
	gender, consent_version, consent_at, created_at`

func createUser(ctx context.Context, t *tx, u *User) error {
	res, err := t.ExecContext(ctx, `INSERT INTO users (username, username_fold, role, project_id, password_hash,
		disabled, dialect_region, age_band, gender, consent_version, consent_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Username, foldUsername(u.Username), string(u.Role), nullInt64(u.ProjectID), u.PasswordHash,
		u.Disabled, u.DialectRegion, u.AgeBand, u.Gender, u.ConsentVersion, nullNanos(u.ConsentAt), nanos(t.now))
	if err != nil {
		return mapErr(err)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	u.CreatedAt = t.now
	return nil
}

func findUser(ctx context.Context, t *tx, where string, args ...any) (*User, error) {
	return scanUser(t.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users `+where, args...))
}

func findUsers(ctx context.Context, t *tx, rest string, args ...any) ([]*User, error) {
	rows, err := t.QueryContext(ctx, `SELECT `+userColumns+` FROM users `+rest, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	var us []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, mapErr(rows.Err())
}

func scanUser(s scanner) (*User, error) {
	var (
		u         User
		role      string
		projectID nullInt
		consentAt nullInt
		created   int64
	)
	if err := s.Scan(&u.ID, &u.Username, &role, &projectID, &u.PasswordHash, &u.Disabled, &u.DialectRegion,
		&u.AgeBand, &u.Gender, &u.ConsentVersion, &consentAt, &created); err != nil {
		return nil, mapErr(err)
	}
	u.Role = Role(role)
	u.ProjectID = projectID.Int64
	u.ConsentAt = fromNullNanos(consentAt)
	u.CreatedAt = fromNanos(created)
	return &u, nil
}
