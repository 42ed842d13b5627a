package corpus

import (
	"context"
	"errors"
)

// CreateToken stores a vendor token (t.Hash set by the caller), setting ID
// and CreatedAt. ErrConflict if the hash exists; ErrNotFound if the project
// does not.
func (db *DB) CreateToken(ctx context.Context, tok *Token) error {
	if len(tok.Hash) == 0 {
		return errors.New("token hash is empty")
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		res, err := t.ExecContext(ctx, `INSERT INTO tokens (hash, vendor, project_id, created_at, revoked_at)
			VALUES (?, ?, ?, ?, ?)`, tok.Hash, tok.Vendor, tok.ProjectID, nanos(t.now), nullNanos(tok.RevokedAt))
		if err != nil {
			return mapErr(err)
		}
		if tok.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		tok.CreatedAt = t.now
		return nil
	})
}

// TokenByHash returns the unrevoked token with that hash.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (tok *Token, err error) {
	err = db.view(ctx, func(t *tx) error {
		var (
			k       Token
			created int64
			revoked nullInt
		)
		err := t.QueryRowContext(ctx, `SELECT id, hash, vendor, project_id, created_at, revoked_at
			FROM tokens WHERE hash = ? AND revoked_at IS NULL`, hash).
			Scan(&k.ID, &k.Hash, &k.Vendor, &k.ProjectID, &created, &revoked)
		if err != nil {
			return mapErr(err)
		}
		k.CreatedAt = fromNanos(created)
		k.RevokedAt = fromNullNanos(revoked)
		tok = &k
		return nil
	})
	return tok, err
}

// RevokeToken revokes the vendor token with that id: from now on
// TokenByHash does not find it. ErrNotFound when there is no such live
// token (unknown, or revoked already).
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		return notFound(t.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, nanos(t.now), id))
	})
}
