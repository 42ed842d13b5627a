package corpus

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Origins of one-time sign-in links.
const (
	// LinkServe is the admin link `dialect serve` prints at start while no
	// admin has ever signed in.
	LinkServe = "serve"
	// LinkCLI is a link from `dialect user link USERNAME`.
	LinkCLI = "cli"
)

// CreateSignInLink stores a one-time sign-in link for the user: the SHA-256
// of its token (hash), who issued it (LinkServe or LinkCLI) and when it
// stops working. It replaces every earlier link of that user, so one account
// has at most one live link, and drops everyone's expired links.
// ErrNotFound when the user does not exist; ErrInvalid when the account is
// disabled or the arguments are wrong.
func (db *DB) CreateSignInLink(ctx context.Context, hash []byte, userID int64, origin string, expires time.Time) error {
	if len(hash) == 0 {
		return errors.New("sign-in link hash is empty")
	}
	if origin != LinkServe && origin != LinkCLI {
		return fmt.Errorf("%w: sign-in link origin %q", ErrInvalid, origin)
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		if !expires.After(t.now) {
			return fmt.Errorf("%w: sign-in link expires before it is made", ErrInvalid)
		}
		u, err := findUser(ctx, t, `WHERE id = ?`, userID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("%w: account %q is disabled", ErrInvalid, u.Username)
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM signin_links WHERE user_id = ? OR expires_at <= ?`, userID, nanos(t.now)); err != nil {
			return mapErr(err)
		}
		_, err = t.ExecContext(ctx, `INSERT INTO signin_links (token_hash, user_id, origin, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, hash, userID, origin, nanos(t.now), nanos(expires))
		return mapErr(err)
	})
}

// TakeSignInLink spends the link whose token has that hash and returns its
// user's id. The row is deleted in the same transaction: a link works once,
// even when two requests race. ErrNotFound when the link is unknown, already
// used, replaced or expired.
func (db *DB) TakeSignInLink(ctx context.Context, hash []byte) (userID int64, err error) {
	// A guess (the usual case for an unknown token) costs a read, not a
	// place in the writers' queue.
	err = db.readOne(ctx, func(t *tx) error {
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM signin_links WHERE token_hash = ?`, hash).Scan(&n); err != nil {
			return mapErr(err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	expired := false
	err = db.update(ctx, func(ctx context.Context, t *tx) error {
		var expires int64
		if err := t.QueryRowContext(ctx, `SELECT user_id, expires_at FROM signin_links WHERE token_hash = ?`, hash).
			Scan(&userID, &expires); err != nil {
			return mapErr(err)
		}
		// Deleted whether or not it has expired: an expired link is
		// dead weight, and this commits either way.
		if _, err := t.ExecContext(ctx, `DELETE FROM signin_links WHERE token_hash = ?`, hash); err != nil {
			return mapErr(err)
		}
		expired = !t.now.Before(fromNanos(expires))
		return nil
	})
	switch {
	case err != nil:
		return 0, err
	case expired:
		return 0, ErrNotFound
	}
	return userID, nil
}

// AdminHasSignedIn reports whether any admin account has ever signed in
// (by password or by link). Until one has, `dialect serve` prints a one-time
// admin link at start.
func (db *DB) AdminHasSignedIn(ctx context.Context) (bool, error) {
	var n int
	err := db.view(ctx, func(t *tx) error {
		return mapErr(t.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND first_signin_at IS NOT NULL`).Scan(&n))
	})
	return n > 0, err
}

// recordSignIn runs in the transaction that starts a session: it records the
// account's first sign-in and, when the account is an admin's, deletes every
// link `dialect serve` printed: once an admin has signed in, a link sitting
// in a service log must not work.
func recordSignIn(ctx context.Context, t *tx, userID int64, at time.Time) error {
	if _, err := t.ExecContext(ctx, `UPDATE users SET first_signin_at = ? WHERE id = ? AND first_signin_at IS NULL`,
		nanos(at), userID); err != nil {
		return mapErr(err)
	}
	_, err := t.ExecContext(ctx, `DELETE FROM signin_links WHERE origin = ?
		AND EXISTS (SELECT 1 FROM users WHERE id = ? AND role = 'admin')`, LinkServe, userID)
	return mapErr(err)
}
