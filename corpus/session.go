package corpus

import (
	"context"
	"errors"
	"time"
)

// CreateSession stores s. CreatedAt and LastSeen default to now.
// ErrConflict if the token hash exists; ErrNotFound if the user does not.
func (db *DB) CreateSession(ctx context.Context, s *Session) error {
	if len(s.TokenHash) == 0 {
		return errors.New("session token hash is empty")
	}
	if s.IdleTimeout < 0 {
		return errors.New("session idle timeout < 0")
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		if s.CreatedAt.IsZero() {
			s.CreatedAt = t.now
		}
		if s.LastSeen.IsZero() {
			s.LastSeen = t.now
		}
		_, err := t.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen,
			idle_timeout, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			s.TokenHash, s.UserID, s.CSRFToken, nanos(s.CreatedAt), nanos(s.LastSeen),
			int64(s.IdleTimeout), zeroNanos(s.ExpiresAt))
		if err != nil {
			return mapErr(err)
		}
		return recordSignIn(ctx, t, s.UserID, s.CreatedAt)
	})
}

// SessionByHash returns the live session with that token hash; ErrNotFound
// when unknown, idle past its IdleTimeout or past ExpiresAt (and deletes it).
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (s *Session, err error) {
	// Read on the reader pool: this runs on every request, and only a dead
	// session needs the writer.
	err = db.readOne(ctx, func(t *tx) error {
		s, err = findSession(ctx, t, hash)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.live(db.Now()) {
		return s, nil
	}
	if err := db.update(ctx, func(ctx context.Context, t *tx) error {
		_, err := t.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash)
		return mapErr(err)
	}); err != nil {
		return nil, err
	}
	return nil, ErrNotFound
}

// live reports whether the session may still be used at now.
func (s *Session) live(now time.Time) bool {
	if s.IdleTimeout > 0 && now.Sub(s.LastSeen) > s.IdleTimeout {
		return false
	}
	if !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt) {
		return false
	}
	return true
}

// TouchSession sets LastSeen to now.
func (db *DB) TouchSession(ctx context.Context, hash []byte) error {
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		return notFound(t.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, nanos(t.now), hash))
	})
}

// DeleteSession removes one session (sign-out). ErrNotFound if there is none.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) error {
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		return notFound(t.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash))
	})
}

func deleteUserSessions(ctx context.Context, t *tx, userID int64) error {
	_, err := t.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return mapErr(err)
}

func findSession(ctx context.Context, t *tx, hash []byte) (*Session, error) {
	var (
		s                      Session
		created, seen, expires int64
		idle                   int64
	)
	err := t.QueryRowContext(ctx, `SELECT token_hash, user_id, csrf_token, created_at, last_seen, idle_timeout,
		expires_at FROM sessions WHERE token_hash = ?`, hash).
		Scan(&s.TokenHash, &s.UserID, &s.CSRFToken, &created, &seen, &idle, &expires)
	if err != nil {
		return nil, mapErr(err)
	}
	s.CreatedAt, s.LastSeen = fromNanos(created), fromNanos(seen)
	s.IdleTimeout = time.Duration(idle)
	s.ExpiresAt = fromZeroNanos(expires)
	return &s, nil
}

// zeroNanos stores the zero time as 0 ("none").
func zeroNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return nanos(t)
}

// fromZeroNanos is the inverse of zeroNanos.
func fromZeroNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}
