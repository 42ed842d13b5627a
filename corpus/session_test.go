package corpus_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

func TestDB_Session(t *testing.T) {
	ctx := context.Background()
	clk := newClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	hash := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	create := func(b byte, idle time.Duration, life time.Duration) *corpus.Session {
		t.Helper()
		s := &corpus.Session{TokenHash: hash(b), UserID: f.speaker.ID, CSRFToken: "csrf", IdleTimeout: idle, ExpiresAt: clk.Now().Add(life)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("OK", func(t *testing.T) {
		s := create(1, 30*time.Minute, 12*time.Hour)
		clk.Add(20 * time.Minute)
		got, err := db.SessionByHash(ctx, s.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != s.UserID || got.CSRFToken != "csrf" || got.IdleTimeout != s.IdleTimeout || !got.ExpiresAt.Equal(s.ExpiresAt) {
			t.Fatalf("SessionByHash=%+v, want %+v", got, s)
		}
		if err := db.TouchSession(ctx, s.TokenHash); err != nil {
			t.Fatal(err)
		}
		clk.Add(20 * time.Minute) // 40 min since creation, 20 since the touch
		if got, err = db.SessionByHash(ctx, s.TokenHash); err != nil {
			t.Fatalf("SessionByHash after touch: %v", err)
		}
		if !got.LastSeen.Equal(clk.Now().Add(-20 * time.Minute)) {
			t.Fatalf("LastSeen=%v, want %v", got.LastSeen, clk.Now().Add(-20*time.Minute))
		}
		if err := db.DeleteSession(ctx, s.TokenHash); err != nil {
			t.Fatal(err)
		}
		_, err = db.SessionByHash(ctx, s.TokenHash)
		wantErr(t, err, corpus.ErrNotFound)
	})
	t.Run("Idle", func(t *testing.T) {
		s := create(2, 30*time.Minute, 12*time.Hour)
		clk.Add(31 * time.Minute)
		_, err := db.SessionByHash(ctx, s.TokenHash)
		wantErr(t, err, corpus.ErrNotFound)
		// And it is gone, not merely hidden.
		wantErr(t, db.TouchSession(ctx, s.TokenHash), corpus.ErrNotFound)
	})
	t.Run("Expired", func(t *testing.T) {
		s := create(3, 0, time.Hour)
		clk.Add(time.Hour)
		_, err := db.SessionByHash(ctx, s.TokenHash)
		wantErr(t, err, corpus.ErrNotFound)
		wantErr(t, db.DeleteSession(ctx, s.TokenHash), corpus.ErrNotFound)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		create(4, 0, time.Hour)
		err := db.CreateSession(ctx, &corpus.Session{TokenHash: hash(4), UserID: f.speaker.ID})
		wantErr(t, err, corpus.ErrConflict)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		err := db.CreateSession(ctx, &corpus.Session{TokenHash: hash(5), UserID: 999})
		wantErr(t, err, corpus.ErrNotFound)
		_, err = db.SessionByHash(ctx, hash(6))
		wantErr(t, err, corpus.ErrNotFound)
		wantErr(t, db.TouchSession(ctx, hash(6)), corpus.ErrNotFound)
		wantErr(t, db.DeleteSession(ctx, hash(6)), corpus.ErrNotFound)
	})
	MustAudit(t, db)
}

func TestDB_Token(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	p := mustProject(t, db, "p")
	h := bytes.Repeat([]byte{7}, 32)
	t.Run("OK", func(t *testing.T) {
		tok := &corpus.Token{Hash: h, Vendor: "acme", ProjectID: p.ID}
		if err := db.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if tok.ID == 0 || tok.CreatedAt.IsZero() {
			t.Fatalf("ID=%d CreatedAt=%v, want both set", tok.ID, tok.CreatedAt)
		}
		got, err := db.TokenByHash(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != tok.ID || got.Vendor != "acme" || got.ProjectID != p.ID || got.RevokedAt != nil {
			t.Fatalf("TokenByHash=%+v, want %+v", got, tok)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		wantErr(t, db.CreateToken(ctx, &corpus.Token{Hash: h, Vendor: "x", ProjectID: p.ID}), corpus.ErrConflict)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		wantErr(t, db.CreateToken(ctx, &corpus.Token{Hash: []byte{1}, Vendor: "x", ProjectID: 999}), corpus.ErrNotFound)
		_, err := db.TokenByHash(ctx, []byte{2})
		wantErr(t, err, corpus.ErrNotFound)
		// A revoked token is not found (there is no revoke method yet).
		if _, err := rawDB(t, db).ExecContext(ctx, `UPDATE tokens SET revoked_at = 1 WHERE hash = ?`, h); err != nil {
			t.Fatal(err)
		}
		_, err = db.TokenByHash(ctx, h)
		wantErr(t, err, corpus.ErrNotFound)
	})
}
